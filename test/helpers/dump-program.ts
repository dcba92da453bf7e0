/**
 * Print, as JSON, every resource the real program declares for a stack under
 * Pulumi's mocks (see mock-program.ts). Usage: tsx test/helpers/dump-program.ts <stack> [json overrides]
 * Runs in its own process so a test can run the program more than once.
 */
import { runProgram } from "./mock-program";

const [stack, overrides] = process.argv.slice(2);
runProgram(stack, overrides ? JSON.parse(overrides) : {})
    .then(({ resources, outputs }) => {
        process.stdout.write(JSON.stringify({ resources, outputs: outputs.__values }));
    })
    .catch((e) => {
        process.stderr.write(`${String(e?.stack ?? e)}\nresources declared before the failure: ${JSON.stringify((e?.declared ?? []).map((r: { type: string }) => r.type).filter((t: string) => t !== "pulumi:pulumi:Stack"))}\n`);
        process.exit(1);
    });
