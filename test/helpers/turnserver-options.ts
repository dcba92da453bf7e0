/** Parse a rendered turnserver.conf into option name -> values (one per line it appears on), skipping comments. */
export function confOptions(conf: string): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const line of conf.split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const [k, ...rest] = line.split("=");
        m.set(k, [...(m.get(k) ?? []), rest.join("=")]);
    }
    return m;
}
