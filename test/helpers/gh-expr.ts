/**
 * A small evaluator for GitHub Actions expressions, enough to run a job's
 * `if:` against an event payload in a test: literals, context paths with `.`,
 * `[...]` and the `.*` object filter, `!`, `==`, `!=`, `&&`, `||`, parentheses
 * and `contains()`. Semantics from GitHub's "Evaluate expressions in workflows
 * and actions": `&&`/`||` return an operand, falsy values are false, 0, '',
 * null; string comparison ignores case; contains() searches an array for an
 * item or a string for a substring, ignoring case.
 */
type Value = unknown;

const truthy = (v: Value) => !(v === false || v === 0 || v === "" || v === null || v === undefined || Number.isNaN(v));
const eq = (a: Value, b: Value) => (typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b);

export function evaluate(expression: string, context: Record<string, Value>): Value {
    const src = expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
    const tokens = src.match(/'(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|\[|\]|\.\*|\.|,|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_-]*|\S/g) ?? [];
    let i = 0;
    const peek = () => tokens[i];
    const take = (t?: string) => {
        const got = tokens[i++];
        if (t !== undefined && got !== t) throw new Error(`expected ${t}, got ${got} in ${src}`);
        return got;
    };
    const or = (): Value => {
        let v = and();
        while (peek() === "||") {
            take();
            const r = and();
            v = truthy(v) ? v : r;
        }
        return v;
    };
    const and = (): Value => {
        let v = cmp();
        while (peek() === "&&") {
            take();
            const r = cmp();
            v = truthy(v) ? r : v;
        }
        return v;
    };
    const cmp = (): Value => {
        const l = unary();
        if (peek() === "==" || peek() === "!=") {
            const op = take();
            const r = unary();
            return op === "==" ? eq(l, r) : !eq(l, r);
        }
        return l;
    };
    const unary = (): Value => (peek() === "!" ? (take(), !truthy(unary())) : postfix(primary()));
    const primary = (): Value => {
        const t = take();
        if (t === "(") {
            const v = or();
            take(")");
            return v;
        }
        if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
        if (/^-?\d/.test(t)) return Number(t);
        if (t === "true" || t === "false") return t === "true";
        if (t === "null") return null;
        if (peek() === "(") {
            take("(");
            const args: Value[] = [];
            while (peek() !== ")") {
                args.push(or());
                if (peek() === ",") take(",");
            }
            take(")");
            if (t.toLowerCase() !== "contains") throw new Error(`function ${t} not supported here`);
            const [hay, needle] = args;
            return Array.isArray(hay) ? hay.some((x) => eq(x, needle)) : String(hay ?? "").toLowerCase().includes(String(needle ?? "").toLowerCase());
        }
        return context[t];
    };
    // Arrays made by `.*`: a property access maps over their items.
    const filtered = new WeakSet<Value[]>();
    const tag = (a: Value[]) => (filtered.add(a), a);
    const member = (v: Value, k: string): Value =>
        Array.isArray(v) && filtered.has(v) ? tag(v.map((x) => member(x, k))) : v !== null && typeof v === "object" ? (v as Record<string, Value>)[k] : undefined;
    const postfix = (v: Value): Value => {
        for (;;) {
            if (peek() === ".*") {
                take();
                v = tag(Array.isArray(v) ? [...v] : v !== null && typeof v === "object" ? Object.values(v) : []);
            } else if (peek() === ".") {
                take();
                v = member(v, take());
            } else if (peek() === "[") {
                take();
                const k = or();
                take("]");
                v = member(v, String(k));
            } else return v;
        }
    };
    const v = or();
    if (i !== tokens.length) throw new Error(`unexpected ${peek()} in ${src}`);
    return v;
}

/** Whether a job with this `if:` runs (no `if:` runs). */
export const runs = (condition: string | undefined, context: Record<string, Value>): boolean => condition === undefined || truthy(evaluate(condition, context));
