/**
 * Ways to break the user data, for showing that the boot test catches each
 * failure a real boot found (TURN_STACK_BOOT_BREAK=<way> npm run test:boot).
 * Each one changes the production user data the smallest way that
 * reproduces the failure.
 */
import { parse, stringify } from "yaml";
import { VM_PATHS } from "../../../infra/cloud-init";

export const BREAKS = {
    /** coturn's config written root:root 0600: coturn (user turnserver) cannot read it. */
    "config-unreadable": "the config is written root:root 0600, so coturn cannot read it",
    /** Logging to a file in a directory the coturn user cannot write, instead of syslog. */
    "log-path": "coturn logs to /var/log/coturn/turnserver.log, a directory its user cannot write",
    /** LimitNOFILE in the drop-in's [Unit] section, where systemd ignores it. */
    nofile: "LimitNOFILE sits in [Unit], where systemd ignores it",
    /** A file owned by the coturn user written before the package has created that user. */
    "owner-early": "a file owned by group turnserver is written in the init stage, before the coturn package exists",
} as const;
export type BreakWay = keyof typeof BREAKS;

interface Doc {
    write_files: { path: string; owner: string; permissions: string; content: string }[];
    [k: string]: unknown;
}

/**
 * @returns the user data with `way` applied
 * @throws Error for an unknown way, or when the user data no longer has what the way changes
 */
export function breakUserData(userData: string, way: string): string {
    if (!(way in BREAKS)) throw new Error(`TURN_STACK_BOOT_BREAK=${way}: one of ${Object.keys(BREAKS).join(", ")}`);
    const doc = parse(userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as Doc;
    const file = (path: string) => {
        const f = doc.write_files.find((x) => x.path === path);
        if (!f) throw new Error(`user data writes no ${path}`);
        return f;
    };
    const replace = (path: string, from: string | RegExp, to: string) => {
        const f = file(path);
        const next = f.content.replace(from, to);
        if (next === f.content) throw new Error(`${path} has no ${from}`);
        f.content = next;
    };
    switch (way as BreakWay) {
        case "config-unreadable":
            replace(VM_PATHS.configureScript, "install -o root -g turnserver -m 0640", "install -o root -g root -m 0600");
            break;
        case "log-path":
            replace(VM_PATHS.confBase, /^syslog$/m, "log-file=/var/log/coturn/turnserver.log");
            break;
        case "nofile": {
            const line = /^LimitNOFILE=\d+\n/m.exec(file(VM_PATHS.dropIn).content)![0];
            replace(VM_PATHS.dropIn, line, "");
            replace(VM_PATHS.dropIn, "[Unit]\n", `[Unit]\n${line}`);
            break;
        }
        case "owner-early":
            file(VM_PATHS.confBase).owner = "root:turnserver";
            break;
    }
    return "#cloud-config\n" + stringify(doc, { version: "1.1", lineWidth: 0 });
}
