/**
 * The order vitest starts test files in (vitest.config.ts `sequence.sequencer`), for serial lanes that run
 * beside everything else (test/helpers/lane-lock.ts): a lane file waiting for its lane holds one of the
 * maxWorkers slots, so the queue keeps at most about one file per lane waiting.
 *
 * Order: the first file of every lane (they start at once, each holding its lane); then the parallel files,
 * longest first, with the other files of each "spread" lane placed evenly among them (each tends to be queued
 * about when the one before it ends); the other files of each "after" lane last (a long lane, e.g. the boot
 * container: its second file would otherwise wait minutes in a slot).
 *
 * Longest first: by the durations vitest cached from the last run (node_modules/.vite/vitest), else by file
 * size, as vitest's own BaseSequencer does; a clean clone has no cache.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** How a lane's files after its first are queued. */
export type LanePlacement = "spread" | "after";

export function laneSequencer(lanes: Record<string, LanePlacement>) {
    return class LaneSequencer extends BaseSequencer {
        async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
            const cache = this.ctx.cache;
            const root = this.ctx.config.root;
            const key = (f: TestSpecification) => `${f.project.name}:${f.moduleId.startsWith(`${root}/`) ? f.moduleId.slice(root.length + 1) : f.moduleId}`;
            const weight = (f: TestSpecification) => cache.getFileTestResults(key(f))?.duration ?? cache.getFileStats(key(f))?.size ?? 0;
            const allCached = files.every((f) => cache.getFileTestResults(key(f)));
            // Durations and sizes are not comparable: durations only when every file has one.
            const longestFirst = (list: TestSpecification[]) =>
                [...list].sort((a, b) => (allCached ? weight(b) - weight(a) : (cache.getFileStats(key(b))?.size ?? 0) - (cache.getFileStats(key(a))?.size ?? 0)));
            const byLane = new Map<string, TestSpecification[]>();
            const parallel: TestSpecification[] = [];
            for (const f of files) {
                if (f.project.name in lanes) byLane.set(f.project.name, [...(byLane.get(f.project.name) ?? []), f]);
                else parallel.push(f);
            }
            const heads: TestSpecification[] = [];
            const spread: TestSpecification[][] = [];
            const after: TestSpecification[] = [];
            for (const [lane, list] of byLane) {
                const [head, ...rest] = longestFirst(list);
                heads.push(head);
                if (lanes[lane] === "spread") spread.push(rest);
                else after.push(...rest);
            }
            // Place each spread lane's files at even intervals through the parallel ones.
            const slots: { at: number; f: TestSpecification }[] = parallel.length === 0 ? [] : longestFirst(parallel).map((f, i) => ({ at: i, f }));
            for (const rest of spread) rest.forEach((f, i) => slots.push({ at: ((i + 1) * parallel.length) / (rest.length + 1) - 0.5, f }));
            const middle = slots.sort((a, b) => a.at - b.at).map((s) => s.f);
            return [...heads, ...middle, ...after];
        }
    };
}
