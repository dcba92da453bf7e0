/**
 * The monitoring keys (infra/monitoring-config.ts) through parseTurnConfig, as the program reads them:
 * defaults, accepted values, and each bad value refused naming the key and the value, together with
 * every other problem, before any resource is declared.
 */
import { test, expect } from "vitest";
import { ConfigError, parseTurnConfig } from "../../infra/config";
import { MAX_EGRESS_BUDGET_GB } from "../../infra/monitoring-config";
import { stackConfig } from "../helpers/stack-config";

const parse = (overrides: Record<string, string>) => parseTurnConfig({ ...stackConfig("dev"), ...overrides }, {});
/** The problems parseTurnConfig reports for `overrides` (fails when it accepts them). */
function problems(overrides: Record<string, string>): string[] {
    try {
        parse(overrides);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error(`accepted ${JSON.stringify(overrides)}`);
}

test("defaults: no email, 1000 GB per month, no AWS Budgets budget", () => {
    const c = parse({});
    expect(c.alarmEmail).toBeUndefined();
    expect(c.monthlyEgressBudgetGb).toBe(1000);
    expect(c.egressCostBudget).toBe(false);
});

test("accepts an email, a budget and the AWS Budgets switch", () => {
    const c = parse({ "turn:alarmEmail": "ops+turn@example.com", "turn:monthlyEgressBudgetGb": "250", "turn:egressCostBudget": "true" });
    expect(c).toMatchObject({ alarmEmail: "ops+turn@example.com", monthlyEgressBudgetGb: 250, egressCostBudget: true });
    expect(parse({ "turn:monthlyEgressBudgetGb": String(MAX_EGRESS_BUDGET_GB) }).monthlyEgressBudgetGb).toBe(MAX_EGRESS_BUDGET_GB);
    expect(parse({ "turn:monthlyEgressBudgetGb": "1" }).monthlyEgressBudgetGb).toBe(1);
});

test.each([
    ["no @", "ops.example.com"],
    ["no domain", "ops@"],
    ["no local part", "@example.com"],
    ["a space", "ops team@example.com"],
    ["a domain without a dot", "ops@localhost"],
    ["an IP for a domain", "ops@192.0.2.1"],
    ["a local part of 65 characters", `${"a".repeat(65)}@example.com`],
    ["a shell metacharacter", "ops;reboot@example.com"],
])("refuses an invalid alarm email (%s), naming key and value", (_why, email) => {
    const p = problems({ "turn:alarmEmail": email });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(`turn:alarmEmail = ${JSON.stringify(email)}: must be an email address`);
});

test.each([
    // The value as the message shows it: the number once parsed, the text as given when it is not a whole number.
    ["zero", "0", "0", /must be a positive whole number of GB per month/],
    ["negative", "-5", "-5", /must be a positive whole number of GB per month/],
    ["above the bound", String(MAX_EGRESS_BUDGET_GB + 1), String(MAX_EGRESS_BUDGET_GB + 1), new RegExp(`at most ${MAX_EGRESS_BUDGET_GB}`)],
    ["a fraction", "1.5", '"1.5"', /must be a whole number/],
    ["not a number", "lots", '"lots"', /must be a whole number/],
    ["empty", "", '""', /must be a whole number/],
])("refuses a budget that is not a positive number (%s), naming key and value", (_why, value, shown, allowed) => {
    const p = problems({ "turn:monthlyEgressBudgetGb": value });
    expect(p).toHaveLength(1);
    expect(p[0].startsWith(`turn:monthlyEgressBudgetGb = ${shown}: `), p[0]).toBe(true);
    expect(p[0]).toMatch(allowed);
});

test("refuses a non-boolean egressCostBudget", () => {
    expect(problems({ "turn:egressCostBudget": "yes" })).toEqual(['turn:egressCostBudget = "yes": must be true or false']);
});

test("monitoring problems are reported together with every other problem", () => {
    const p = problems({ "turn:alarmEmail": "nobody", "turn:monthlyEgressBudgetGb": "0", "turn:credentialTtlSeconds": "1" });
    expect(p.map((l) => l.split(" ")[0]).sort()).toEqual(["turn:alarmEmail", "turn:credentialTtlSeconds", "turn:monthlyEgressBudgetGb"]);
});

test("the AWS Budgets budget needs the alarm email (its notifications are mailed there)", () => {
    expect(problems({ "turn:egressCostBudget": "true" })).toEqual([
        "turn:egressCostBudget = true: needs turn:alarmEmail: AWS Budgets mails its notifications there; set both, or leave this false",
    ]);
});
