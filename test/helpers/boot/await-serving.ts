/**
 * Run inside the boot test's edge namespace, started before a fault: prints `ready`, then on the
 * stdin line `go` probes the server's listeners (scripts/lib/probe.ts: a real allocation with a
 * credential minted from TURN_SHARED_SECRET) every 100 ms until each answered, and prints one line
 * `serving {"<listener>": {"detail": <relayed address>, "ms": <ms after go>}, ...}` or, once
 * `<bound ms>` passed, `failed <summary naming the listeners that did not answer>`.
 * Started ahead so node's own start-up is not counted in a recovery time.
 *
 * Usage: await-serving.ts <server ip> <listeners, e.g. udp:3478,tcp:3478> <bound ms>
 */
import { createInterface } from "node:readline";
import { failureSummary, parseTargets, probeListeners, targetName, type ProbeResult } from "../../../scripts/lib/probe";

async function main() {
    const [host, listeners, boundMs] = process.argv.slice(2);
    const secret = process.env.TURN_SHARED_SECRET;
    if (!host || !listeners || !boundMs || !secret) throw new Error("usage: TURN_SHARED_SECRET=... await-serving.ts <server ip> <listeners> <bound ms>");
    const targets = parseTargets(listeners);
    const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log("ready");
    const go = await lines.next();
    if (go.done || go.value !== "go") return;
    // Each listener until it answers or the bound passes; one attempt at a time, 100 ms apart.
    const t0 = Date.now();
    const deadline = t0 + Number(boundMs);
    const answered = new Map<string, { detail: string; ms: number }>();
    let last: ProbeResult[] = [];
    for (;;) {
        const pending = targets.filter((t) => !answered.has(targetName(t)));
        last = await probeListeners({ host, targets: pending, secret, attempts: 1, timeoutMs: 500 });
        for (const r of last) if (r.ok) answered.set(r.target, { detail: r.detail, ms: Date.now() - t0 });
        if (answered.size === targets.length || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
    }
    const failure = failureSummary(last);
    console.log(failure ? `failed ${failure}` : `serving ${JSON.stringify(Object.fromEntries(answered))}`);
    process.exit(0);
}
main().catch((e) => {
    console.error(String(e));
    process.exit(1);
});
