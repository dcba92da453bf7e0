/**
 * Boot a user data document the way an EC2 instance of the stack would, in a
 * Debian system container on this machine: Debian 12 (bookworm, cloud-init
 * 22.4) unless `release` says 13 (trixie, cloud-init 25.1).
 *
 * Network, created here and removed by teardown():
 *
 *     namespace "vm" (the container)          namespace "edge" (stand-ins, clients)
 *     10.73.0.10/24  ---------- veth ---------- 10.73.0.1/24
 *     default via 10.73.0.1                     169.254.169.254 (metadata stand-in)
 *                                               100.128.0.1 (a public peer)
 *
 * What is not the production path, and why:
 * - the datasource is NoCloud (seed in /var/lib/cloud/seed/nocloud) instead of
 *   EC2's, and cloud-init's network setup is off (the test configured the
 *   interface): the user data itself is passed byte for byte;
 * - apt's source is the local repository on 10.73.0.1 (no internet here);
 * - ssm.<region>.amazonaws.com resolves, through /etc/hosts, to the SSM
 *   stand-in on 10.73.0.1, whose certificate is from a test CA the image
 *   trusts; the metadata stand-in on 169.254.169.254 hands out the instance
 *   profile credentials the SSM stand-in checks;
 * - s3.<region>.amazonaws.com, where the user data fetches the SSM agent,
 *   is a stand-in that answers 404 (the agent package is not available here);
 *   the user data allows for that failure;
 * - there is no DNS server, so anything else fetched by name (Let's Encrypt)
 *   fails, as the user data allows.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parse, stringify } from "yaml";
import { createNetns, connect, type Netns } from "../netns";
import { makeTestPki, type TestPki } from "../tls-certs";
import { ROOT } from "../stack-config";
import { userDataOf } from "../program-json";
import type { MockedResource } from "../mock-program";
import { SSM_GET_PATH } from "../../../infra/ssm-get";
import { packUserData } from "../../../infra/cloud-init";
import { aptRepository, baseImage, chroot, DEFAULT_BOOT_RELEASE, extractBase, suiteOf } from "./image";
import type { DebianRelease } from "../../../infra/debian";
import { Container, stopChild } from "./container";

export const VM_IP = "10.73.0.10";
export const EDGE_IP = "10.73.0.1";
export const PUBLIC_PEER = "100.128.0.1";

/** A cloud-config document as the boot helpers read it. */
export interface CloudConfig {
    packages?: string[];
    write_files: { path: string; owner: string; permissions: string; content: string }[];
}

/** Parse user data (YAML 1.1, as cloud-init's PyYAML reads it). */
export function cloudConfig(userData: string): CloudConfig {
    return parse(userData, { version: "1.1" }) as CloudConfig;
}

/**
 * What booting a stack's user data needs, from the program run under mocks:
 * the user data, the region and SSM parameters its secret sync reads, and
 * their values (the stack's secret: the mock's RandomPassword; the previous one: none).
 * @param server the server's resource-name prefix: `turn` (the stack's one server, or a fleet's home
 *   server) or a fleet server's `turn-<region>-<n>` (infra/components/fleet.ts). It must hold its
 *   region's SSM parameters (a region's first server; the others read their lead's).
 * @throws Error when the program declares no `<server>-instance` or no `<server>-secret-param`
 */
export function bootInputs(program: { resources: MockedResource[] }, server = "turn"): Omit<BootOptions, "log" | "timeoutMs"> & { doc: CloudConfig; server: string } {
    const instance = program.resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.name === `${server}-instance`);
    if (!instance) throw new Error(`the program declares no instance ${server}-instance`);
    const userData = userDataOf([instance]);
    // The seed gets packUserData(userData): byte for byte what the instance is declared with.
    if (packUserData(userData) !== instance.inputs.userDataBase64) throw new Error("packing the declared user data again gives other bytes: packUserData is not deterministic");
    const doc = cloudConfig(userData);
    const param = (name: string) => {
        const p = program.resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.name === name);
        if (!p) throw new Error(`the program declares no SSM parameter ${name}`);
        return { name: p.inputs.name as string, value: (p.inputs.value?.value ?? p.inputs.value) as string };
    };
    const [current, previous] = [param(`${server}-secret-param`), param(`${server}-previous-secret-param`)];
    // Every parameter the server declares (the reaper's CLI password and revocation list too, a fleet's Cloudflare DNS
    // token), with its SSM type: its region's SSM. (Every region of a fleet uses the same names, so only this server's.)
    const ssm = program.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && r.parent === server).map((r) => ({ ...param(r.name), type: r.inputs.type as string }));
    const script = doc.write_files.find((f) => f.path === SSM_GET_PATH)?.content ?? "";
    const region = /"aws:amz:([a-z0-9-]+):ssm"/.exec(script)?.[1];
    if (!region) throw new Error(`no SigV4 scope (aws:amz:<region>:ssm) in ${SSM_GET_PATH}`);
    return {
        userData,
        doc,
        server,
        region,
        parameterName: current.name,
        parameterValue: current.value,
        previousParameterName: previous.name,
        parameters: Object.fromEntries(ssm.map((p) => [p.name, p.value])),
        parameterTypes: Object.fromEntries(ssm.map((p) => [p.name, p.type])),
    };
}

export interface BootOptions {
    userData: string;
    region: string;
    parameterName: string;
    /** What the SSM stand-in returns for the parameter (the stack's secret). */
    parameterValue: string;
    /** The previous secret's parameter (infra/rotation.ts). */
    previousParameterName: string;
    /** Every parameter the SSM stand-in serves at boot, name to value. */
    parameters: Record<string, string>;
    /** Their SSM types, name to `String` or `SecureString` (default SecureString). */
    parameterTypes?: Record<string, string>;
    log?: (line: string) => void;
    /** How long cloud-init may take to finish (ms). */
    timeoutMs?: number;
    /** The Debian release to boot (infra/debian.ts); default 12. */
    release?: DebianRelease;
    /** Boot with SSM unreachable (its stand-in drops every connection) until {@link BootedVm.setSsmReachable}; default reachable. */
    ssmUnreachable?: boolean;
    /** The server's resource-name prefix ({@link bootInputs}); default `turn`. Names its namespaces and machine, so two servers of one release can boot at once. */
    server?: string;
}

export interface BootedVm {
    /** The Debian release booted. */
    release: DebianRelease;
    container: Container;
    edge: Netns;
    pki: TestPki;
    work: string;
    /** JSON lines the stand-ins recorded, in order. */
    requests: Record<string, any>[];
    /** Change parameters in the SSM stand-in (as `pulumi up` after a rotation would); resolves once it serves them. */
    setParameters(values: Record<string, string>): Promise<void>;
    /** Make SSM reachable or not (the stand-in answers, or drops connections); resolves once it does. */
    setSsmReachable(reachable: boolean): Promise<void>;
    /** Seconds: extracting the base, preparing the repo, booting until cloud-final finished. */
    timings: Record<string, number>;
    /** `cloud-final.service` state once cloud-init finished: active or failed. */
    finalState: string;
    /** cloud-init.log, cloud-init-output.log and coturn's journal, trimmed, for failure messages. */
    diagnostics(): string;
    teardown(): Promise<void>;
}

/**
 * Bookkeeping for a boot: `lap(name)` records the seconds since the last lap
 * into `timings`; `teardown()` runs the pushed `cleanups` in reverse order,
 * logging (not throwing) what fails, so one failure does not leave the rest;
 * SIGINT and SIGTERM run it too before the process exits.
 */
export function bootSteps(log: (l: string) => void) {
    const timings: Record<string, number> = {};
    let t = Date.now();
    const lap = (name: string) => {
        timings[name] = (Date.now() - t) / 1000;
        t = Date.now();
    };
    const cleanups: (() => void | Promise<void>)[] = [];
    // Ctrl-C or a CI timeout must not leave the container, namespaces or stand-ins behind.
    const onSignal = (signal: NodeJS.Signals) => {
        log(`${signal}: tearing down`);
        void teardown().finally(() => process.exit(128 + (signal === "SIGINT" ? 2 : 15)));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const teardown = async () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        for (const c of cleanups.reverse()) {
            try {
                await c();
            } catch (e) {
                log(`teardown: ${e}`);
            }
        }
        cleanups.length = 0;
    };
    return { timings, lap, cleanups, teardown };
}

/** Names of the two network namespaces of a boot of `server` on `release` (one pair per release and server, so they can boot at once). */
export function bootNetnsNames(release: DebianRelease = DEFAULT_BOOT_RELEASE, server = "turn"): { edge: string; vm: string } {
    const tag = server === "turn" ? "" : `-${server}`;
    return release === DEFAULT_BOOT_RELEASE && !tag ? { edge: "ts-boot-edge", vm: "ts-boot-vm" } : { edge: `ts-boot${release}${tag}-edge`, vm: `ts-boot${release}${tag}-vm` };
}

export async function bootUserData(o: BootOptions): Promise<BootedVm> {
    const release = o.release ?? DEFAULT_BOOT_RELEASE;
    const log = o.log ?? (() => {});
    const { timings, lap, cleanups, teardown } = bootSteps(log);
    try {
        const base = baseImage(log, release);
        lap(base.built ? "buildBase" : "baseFromCache");
        const work = mkdtempSync("/var/tmp/turn-stack-boot-");
        cleanups.push(() => rmSync(work, { recursive: true, force: true }));
        const root = join(work, "root");
        extractBase(base, root);
        lap("extract");
        const repo = aptRepository(base, root, cloudConfig(o.userData).packages ?? [], log);
        lap("aptRepository");

        const pki = makeTestPki(`ssm.${o.region}.amazonaws.com`);
        cleanups.push(() => pki.cleanup());
        prepareRoot(root, o, pki);

        const server = o.server ?? "turn";
        const names = bootNetnsNames(release, server);
        const edge = createNetns(names.edge);
        cleanups.push(() => edge.remove());
        const vm = createNetns(names.vm);
        cleanups.push(() => vm.remove());
        connect(edge, `${EDGE_IP}/24`, vm, `${VM_IP}/24`);
        vm.run("ip", "route", "add", "default", "via", EDGE_IP);

        const requests: Record<string, any>[] = [];
        const standins = await startStandins(edge, repo, pki, o, requests);
        cleanups.push(() => stopChild(standins));
        lap("prepare");

        const container = await Container.boot({ root, netns: vm.name, machine: `turn-boot${release}${server === "turn" ? "" : `-${server}`}-${process.pid}`, consoleLog: join(work, "console.log") });
        cleanups.push(() => container.stop());
        log(`Debian ${release} (${suiteOf(release)}) container booted (init PID ${container.initPid}); waiting for cloud-init`);
        const finalState = await container.waitFor(
            "cloud-final.service to finish (cloud-init 22.4's status --wait returns early on errors)",
            () => {
                const s = container.exec("systemctl", "is-active", "cloud-final.service").stdout.trim();
                return s === "active" || s === "failed" ? s : undefined;
            },
            o.timeoutMs ?? 600_000,
            250,
        );
        lap("bootToCloudFinal");
        if (!o.ssmUnreachable) {
            // cloud-init starts coturn without waiting for it (after the configure unit has read SSM): wait until it
            // runs, for at most 30 s; a broken boot is left for the checks to describe.
            const deadline = Date.now() + 30_000;
            while (container.exec("systemctl", "is-active", "coturn.service").stdout.trim() !== "active" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
            lap("cloudFinalToCoturnActive");
        }
        const tell = async (what: string, line: object) => {
            const acks = requests.filter((r) => r.service === "standin").length;
            standins.stdin!.write(JSON.stringify(line) + "\n");
            await container.waitFor(what, () => (requests.filter((r) => r.service === "standin").length > acks ? true : undefined), 5000, 20);
        };
        const setParameters = (values: Record<string, string>) => tell("the SSM stand-in to take the new values", values);
        const setSsmReachable = (reachable: boolean) => tell(`the SSM stand-in to become ${reachable ? "reachable" : "unreachable"}`, { control: { ssmReachable: reachable } });
        return { release, container, edge, pki, work, requests, setParameters, setSsmReachable, timings, finalState, diagnostics: () => diagnostics(container, root, release, server), teardown };
    } catch (e) {
        await teardown();
        throw e;
    }
}

/** Differences of the full VM (test/helpers/boot/qemu.ts) from the container. */
export interface VmSeed {
    /** NoCloud network-config (v2); without it cloud-init's network setup is off. */
    network?: object;
    /** SSH public keys for cloud-init's default user (meta-data public-keys). */
    publicKeys?: string[];
}

/**
 * Make an extracted base boot `o.userData`: apt source, /etc/hosts for the AWS
 * stand-ins, the test CA, the NoCloud seed and the datasource setting.
 */
export function prepareRoot(root: string, o: BootOptions, pki: TestPki, seed: VmSeed = {}) {
    const p = (f: string) => join(root, f);
    writeFileSync(p("etc/apt/sources.list"), `# turn-stack boot test: the local repository on the edge namespace\ndeb [trusted=yes] http://${EDGE_IP}/ ./\n`);
    rmSync(p("etc/apt/sources.list.d"), { recursive: true, force: true });
    mkdirSync(p("etc/apt/sources.list.d"));
    writeFileSync(p("etc/resolv.conf"), "# turn-stack boot test: no DNS server; the names the VM needs are in /etc/hosts\nnameserver 127.0.0.1\n");
    appendFileSync(p("etc/hosts"), `\n# turn-stack boot test: the AWS stand-ins\n${EDGE_IP} ssm.${o.region}.amazonaws.com s3.${o.region}.amazonaws.com\n`);
    writeFileSync(p("usr/local/share/ca-certificates/turn-stack-boot-test.crt"), pki.caCert);
    chroot(root, "update-ca-certificates");
    const seedDir = p("var/lib/cloud/seed/nocloud");
    mkdirSync(seedDir, { recursive: true });
    // As EC2 hands it over: gzip-compressed (infra/cloud-init.ts packUserData); cloud-init decompresses it.
    writeFileSync(join(seedDir, "user-data"), Buffer.from(packUserData(o.userData), "base64"));
    writeFileSync(
        join(seedDir, "meta-data"),
        stringify({ "instance-id": "i-0b00715e5ca1ab1e0", "local-hostname": "turn-boot-test", ...(seed.publicKeys ? { "public-keys": seed.publicKeys } : {}) }),
    );
    if (seed.network) writeFileSync(join(seedDir, "network-config"), stringify(seed.network));
    writeFileSync(
        p("etc/cloud/cloud.cfg.d/99-turn-stack-boot-test.cfg"),
        seed.network
            ? "# turn-stack VM test: NoCloud seed instead of EC2's datasource\n" + stringify({ datasource_list: ["NoCloud"] })
            : "# turn-stack boot test: NoCloud seed instead of EC2's datasource; the test set up the network\n" +
                  stringify({ datasource_list: ["NoCloud"], network: { config: "disabled" } }),
    );
}

/**
 * Give `edge` the metadata address and the public peer's address, and start
 * test/helpers/boot/standins.ts there; resolves once it listens, recording
 * requests into `requests`.
 */
export async function startStandins(edge: Netns, repo: string, pki: TestPki, o: BootOptions, requests: Record<string, any>[]): Promise<ChildProcess> {
    edge.run("ip", "addr", "add", "169.254.169.254/32", "dev", "lo");
    edge.run("ip", "addr", "add", `${PUBLIC_PEER}/32`, "dev", "lo");
    const cert = pki.issue("aws", [`ssm.${o.region}.amazonaws.com`, `s3.${o.region}.amazonaws.com`]);
    const child = spawn(edge.prefix[0], [...edge.prefix.slice(1), process.execPath, "--import", "tsx", join(ROOT, "test", "helpers", "boot", "standins.ts")], {
        env: {
            ...process.env,
            TURN_STACK_STANDIN: JSON.stringify({ repoDir: repo, aptAddress: EDGE_IP, ssmAddress: EDGE_IP, certFile: cert.certFile, keyFile: cert.keyFile, region: o.region }),
            TURN_STACK_SSM_VALUES: JSON.stringify(o.parameters),
            TURN_STACK_SSM_TYPES: JSON.stringify(o.parameterTypes ?? {}),
            TURN_STACK_SSM_DOWN: o.ssmUnreachable ? "1" : "0",
        },
        stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`stand-ins exited (${code}) before listening`)));
        createInterface({ input: child.stdout! }).on("line", (line) => {
            const entry = JSON.parse(line);
            if (entry.ready) resolve();
            else requests.push(entry);
        });
    });
    return child;
}

function tail(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}

function diagnostics(container: Container, root: string, release: DebianRelease, server: string): string {
    const read = (f: string) => {
        try {
            return readFileSync(join(root, f), "utf8");
        } catch (e) {
            return `(${f} unreadable: ${e})`;
        }
    };
    const cloudInitLog = read("var/log/cloud-init.log");
    const problems = cloudInitLog.split("\n").filter((l) => /WARNING|ERROR|Traceback|Failed/.test(l));
    const journal = container.exec("journalctl", "--no-pager", "-u", "coturn.service", "-u", "turn-stack-firewall.service", "-n", "80");
    const failed = container.exec("systemctl", "--failed", "--no-legend", "--plain");
    return [
        `----- Debian ${release} (${suiteOf(release)}) boot${server === "turn" ? "" : `, server ${server}`} -----`,
        "----- cloud-init.log: warnings and errors -----",
        problems.slice(-60).join("\n") || "(none)",
        "----- cloud-init.log: last 40 lines -----",
        tail(cloudInitLog, 40),
        "----- cloud-init-output.log: last 80 lines -----",
        tail(read("var/log/cloud-init-output.log"), 80),
        "----- journalctl -u coturn -u turn-stack-firewall -----",
        journal.stdout + journal.stderr,
        "----- systemctl --failed -----",
        failed.stdout || "(none)",
    ].join("\n");
}
