/**
 * Values not known at `pulumi preview`. @pulumi/policy hands policies a proxy
 * that throws `UnknownValueError` when one reads a value that depends on
 * another resource's outputs (node_modules/@pulumi/policy/proxy.js); the
 * analyzer then reports the whole policy as not run. A policy that reads such a
 * value through {@link unlessUnknown} keeps checking everything else at preview,
 * and `pulumi up`, where every value is known, checks the rest.
 */
import { UnknownValueError } from "@pulumi/policy";

/** `read()`, or `fallback` when it reads a value not known yet. */
export function unlessUnknown<T>(read: () => T, fallback: T): T {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return fallback;
        throw e;
    }
}
