/**
 * Replays, on a program's declared resources (test/helpers/resource-dump.ts), a change that
 * replaces every instance, the way Pulumi's engine schedules it, and reports how many servers of
 * each region serve at the worst moment. A model of the engine, stated so it can be checked:
 *  - a resource's step starts when the steps of all its dependencies are done (the Node.js SDK
 *    sends RegisterResource only after its dependencies' registrations resolved, and the engine
 *    answers a registration when the resource's step is done: pulumi/pulumi sdk/nodejs
 *    runtime/resource.ts prepareResource, pkg/resource/deploy/step_executor.go);
 *  - unchanged resources finish at once; an instance with deleteBeforeReplace is deleted when its
 *    step starts and created within 1 time unit; its readiness gate (which reruns because its
 *    trigger, the instance id, changed) then takes 3 units, the boot;
 *  - a server serves except from its instance's step start until its readiness gate is done.
 */
import type { RegisteredResource } from "./resource-dump";

export interface Rollout {
    /** Fewest servers serving at once during the change, per region. */
    minServingPerRegion: Record<string, number>;
    /** Each server's outage, for failure messages. */
    log: string[];
}

const INSTANCE_REPLACE = 1;
const READINESS = 3;

/**
 * @param resources every registration of one program run
 * @param servers the servers and their regions (the stack's `servers` output)
 */
export function replaceAllInstances(resources: RegisteredResource[], servers: { name: string; region: string }[]): Rollout {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const duration = (r: RegisteredResource) =>
        r.type === "aws:ec2/instance:Instance" ? INSTANCE_REPLACE : r.type === "command:local:Command" && r.name.endsWith("-ready") ? READINESS : 0;
    const finish = new Map<string, number>();
    const start = new Map<string, number>();
    const visit = (urn: string, path: Set<string>): number => {
        const known = finish.get(urn);
        if (known !== undefined) return known;
        if (path.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        const r = byUrn.get(urn);
        if (!r) return 0;
        path.add(urn);
        const s = Math.max(0, ...r.dependencies.map((d) => visit(d, path)));
        path.delete(urn);
        start.set(urn, s);
        finish.set(urn, s + duration(r));
        return s + duration(r);
    };
    for (const r of resources) visit(r.urn, new Set());

    const outage = new Map<string, [number, number]>();
    const log: string[] = [];
    for (const s of servers) {
        const instance = resources.find((r) => r.name === `${s.name}-instance`);
        const ready = resources.find((r) => r.name === `${s.name}-ready`);
        if (!instance || !ready) throw new Error(`server ${s.name} has no instance or readiness gate`);
        const down: [number, number] = [start.get(instance.urn)!, finish.get(ready.urn)!];
        outage.set(s.name, down);
        log.push(`${s.name} down ${down[0]}..${down[1]}`);
    }
    const minServingPerRegion: Record<string, number> = {};
    for (const region of new Set(servers.map((s) => s.region))) {
        const inRegion = servers.filter((s) => s.region === region);
        const moments = inRegion.flatMap((s) => outage.get(s.name)!);
        minServingPerRegion[region] = Math.min(...moments.map((t) => inRegion.filter((s) => { const [a, b] = outage.get(s.name)!; return !(t >= a && t < b); }).length));
    }
    return { minServingPerRegion, log };
}
