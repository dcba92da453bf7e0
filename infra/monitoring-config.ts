/**
 * The monitoring keys (issue 14): who is told (`turn:alarmEmail`), the egress budget the NetworkOut
 * alarm and the dashboard's budget line derive from (`turn:monthlyEgressBudgetGb`), and the optional
 * AWS Budgets budget (`turn:egressCostBudget`). infra/config.ts spreads {@link MONITORING_KEYS} into
 * CONFIG_KEYS and calls {@link checkMonitoring} from parseTurnConfig, so a bad value is reported with
 * every other problem before any resource is declared.
 *
 * Pure: no `@pulumi/*` import, and no runtime import of config.ts (which imports this).
 */
import type { KeySpec } from "./config";

/** Largest accepted monthly egress budget, GB: 10 PB, far beyond one relay's reach (c7gn.16xlarge at its full internet share moves about 8 PB a month). */
export const MAX_EGRESS_BUDGET_GB = 10_000_000;

/** The monitoring keys, with type, default and description (mirrored in Pulumi.yaml). */
export const MONITORING_KEYS = {
    alarmEmail: {
        type: "string",
        default: "",
        description: "Email address subscribed to the stack's alarm topic (SNS; AWS mails a confirmation link first). Empty: the topic has no subscriber; subscribe your own.",
    },
    monthlyEgressBudgetGb: {
        type: "integer",
        default: 1000,
        description: "Egress budget, GB (2^30 bytes) per month: the NetworkOut alarm fires when an hour's egress runs above budget / 730 h for 3 hours in a row; the dashboard draws that line.",
    },
    egressCostBudget: {
        type: "boolean",
        default: false,
        description: "Also create an AWS Budgets budget on the region's EC2 internet data transfer cost (the egress budget at AWS's prices), mailing turn:alarmEmail (required then). Off by default: it is account-wide billing data and needs budgets:* rights.",
    },
} as const satisfies Record<string, KeySpec>;

/** The validated monitoring settings. */
export interface MonitoringConfig {
    /** `turn:alarmEmail`; undefined: no subscription. */
    alarmEmail?: string;
    /** `turn:monthlyEgressBudgetGb`: a positive whole number of GB (2^30 bytes) per month. */
    monthlyEgressBudgetGb: number;
    /** `turn:egressCostBudget`. */
    egressCostBudget: boolean;
}

/** One bad value: the key (without namespace), the value as given, what is allowed. */
export interface MonitoringProblem {
    key: keyof typeof MONITORING_KEYS;
    value: unknown;
    allowed: string;
}

/**
 * Check the monitoring keys.
 * @param alarmEmail the key's text (trimmed; "" when unset)
 * @param budgetGb the key's number as config.ts parsed it (NaN when it was not a whole number, already reported)
 * @param egressCostBudget the key's boolean
 * @param email the address rule and its refusal text (config.ts isAcmeEmail and EMAIL_ALLOWED: RFC 5321 lengths, a
 *   shell-safe local part, a DNS domain), passed in because config.ts imports this module
 * @returns the settings, and every problem (empty when none)
 */
export function checkMonitoring(
    alarmEmail: string,
    budgetGb: number,
    egressCostBudget: boolean,
    email: { test: (s: string) => boolean; allowed: string },
): { settings: MonitoringConfig; problems: MonitoringProblem[] } {
    const problems: MonitoringProblem[] = [];
    if (alarmEmail && !email.test(alarmEmail)) problems.push({ key: "alarmEmail", value: alarmEmail, allowed: email.allowed });
    if (Number.isInteger(budgetGb) && (budgetGb < 1 || budgetGb > MAX_EGRESS_BUDGET_GB)) {
        problems.push({ key: "monthlyEgressBudgetGb", value: budgetGb, allowed: `must be a positive whole number of GB per month, at most ${MAX_EGRESS_BUDGET_GB}` });
    }
    if (egressCostBudget && !alarmEmail) {
        // AWS Budgets notifies subscribers by email here (a budget notification needs at least one subscriber:
        // AWS Budgets API Reference, CreateBudget NotificationsWithSubscribers); see infra/components/monitoring.ts.
        problems.push({ key: "egressCostBudget", value: true, allowed: "needs turn:alarmEmail: AWS Budgets mails its notifications there; set both, or leave this false" });
    }
    return { settings: { alarmEmail: alarmEmail || undefined, monthlyEgressBudgetGb: budgetGb, egressCostBudget }, problems };
}
