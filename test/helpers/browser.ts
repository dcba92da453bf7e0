/**
 * Debian's Chromium, driven by playwright-core, started inside a test network
 * namespace (through a wrapper that runs `ip netns exec`), with a throwaway
 * profile and NSS database so a test CA can be trusted for this run only.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { Netns } from "./netns";

export const CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
    browser: Browser;
    close(): Promise<void>;
}

/**
 * Launch Chromium in `ns`.
 * @param trustedCaPem a CA certificate to trust (added to the run's own NSS database), if any
 * @throws Error when Debian's chromium or certutil (libnss3-tools) is missing
 */
export async function launchChromium(ns: Netns, trustedCaPem?: string): Promise<TestBrowser> {
    const home = mkdtempSync(join(tmpdir(), "turn-stack-chromium-"));
    const wrapper = join(home, "chromium-in-netns.sh");
    writeFileSync(wrapper, `#!/bin/sh\nexport HOME=${home}\nexec ${ns.prefix.join(" ")} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    if (trustedCaPem) {
        const db = join(home, ".pki", "nssdb");
        execFileSync("mkdir", ["-p", db]);
        execFileSync("certutil", ["-d", `sql:${db}`, "-N", "--empty-password"]);
        const ca = join(home, "ca.pem");
        writeFileSync(ca, trustedCaPem);
        execFileSync("certutil", ["-d", `sql:${db}`, "-A", "-t", "C,,", "-n", "turn-stack test CA", "-i", ca]);
    }
    const browser = await chromium.launch({
        executablePath: wrapper,
        args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
        timeout: 30_000,
    });
    return {
        browser,
        close: async () => {
            await browser.close().catch(() => undefined);
            rmSync(home, { recursive: true, force: true });
        },
    };
}
