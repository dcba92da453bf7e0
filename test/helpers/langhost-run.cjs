/**
 * Preload (`node -r`) that puts Pulumi's mocks in place of the engine for a
 * program started exactly as Pulumi's Node.js language host starts it:
 *
 *   node -r langhost-run.cjs <@pulumi/pulumi>/cmd/run --monitor mock --project <p>
 *        --root-directory <root> --stack <s> --pwd <program directory> <entry point>
 *
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `constructArguments`
 * and `execRuntime`; the environment comes from test/helpers/engine.ts
 * `languageHostEnv`). Everything after the preload is @pulumi/pulumi's own run
 * script: chdir to --pwd, ts-node registered with the tsconfig.json found
 * there, the entry point resolved through package.json `main` when it is ".",
 * then required (node_modules/@pulumi/pulumi/cmd/run/run.js). Plain JavaScript
 * on purpose: no tsx or other loader is in the process, so only that ts-node
 * compiles TypeScript.
 *
 * At exit it writes {resources: [{type, name, inputs}], outputs, urns, cwd, typeCheck} as JSON
 * to the file in TURN_STACK_LANGHOST_OUT. `typeCheck` says whether the ts-node the run script
 * registered type-checked (ts-node 10 keeps its service at process[Symbol.for("ts-node.register.instance")],
 * `transpileOnly` false when it type-checks; node_modules/ts-node/dist/index.js).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..", "..");
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [root] }));
const project = process.argv[process.argv.indexOf("--project") + 1];
const stack = process.argv[process.argv.indexOf("--stack") + 1];

const resources = [];
// The mocks' answers live in mock-program.ts. It is required only when the first
// resource registers, which is after run.js has registered ts-node.
const mocks = () => require(path.join(__dirname, "mock-program.ts"));
const monitorReady = pulumi.runtime.setMocks(
    {
        newResource(a) {
            resources.push({ type: a.type, name: a.name, inputs: a.inputs });
            return mocks().mockNewResource(a);
        },
        call: (a) => mocks().mockCall(a),
    },
    project,
    stack,
    true,
);

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const plain = (v) => {
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
        if (SECRET_SIG in v) return plain(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
};

process.on("exit", () => {
    const out = process.env.TURN_STACK_LANGHOST_OUT;
    if (!out) return;
    let outputs = null;
    const urns = [];
    void monitorReady;
    const monitor = pulumi.runtime.getMonitor();
    for (const r of monitor && monitor.resources ? monitor.resources.values() : []) {
        urns.push(r.urn);
        if (r.urn.includes("::pulumi:pulumi:Stack::") && r.state && typeof r.state.toJavaScript === "function") outputs = plain(r.state.toJavaScript());
    }
    const declared = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    const tsNode = process[Symbol.for("ts-node.register.instance")];
    const typeCheck = tsNode ? !tsNode.transpileOnly : null;
    fs.writeFileSync(out, JSON.stringify({ resources: declared, outputs, urns, cwd: process.cwd(), typeCheck }));
});
