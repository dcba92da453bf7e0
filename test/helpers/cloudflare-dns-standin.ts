/**
 * STAND-IN for Cloudflare DNS, which tests cannot reach: on 127.0.0.1,
 *  - the DNS records API as Cloudflare documents it (API v4, "DNS Records for a Zone": List, Create,
 *    Delete; "Zones": List Zones), in the `{success, errors, messages, result}` envelope, with an API
 *    token as bearer that sees only the zones it was given (a token scoped to "Zone / DNS / Edit" on
 *    one zone: other zones are not listed, and their records answer 403 with code 10000, as Cloudflare
 *    answers an authentication error);
 *  - an authoritative DNS server over UDP for the same records (RFC 1035 messages: A and TXT answers,
 *    NXDOMAIN for names it has nothing for), so an ACME server's DNS-01 check reads what the API wrote.
 */
import http from "node:http";
import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";

export interface DnsRecord {
    id: string;
    type: string;
    name: string;
    content: string;
    ttl: number;
}

export interface CloudflareDnsStandIn {
    /** API base, e.g. http://127.0.0.1:1234/client/v4 (certbot's plugin library reads it from CLOUDFLARE_API_URL). */
    apiBase: string;
    /** host:port of the DNS server. */
    dnsAddress: string;
    /** Records by zone id. */
    records: Map<string, DnsRecord[]>;
    /** Every API request: method, path with query, bearer token, body. */
    requests: { method: string; path: string; token?: string; body: string }[];
    close(): Promise<void>;
}

/**
 * @param zones zone name → zone id
 * @param tokens API token → the zone ids it may edit
 */
export async function startCloudflareDnsStandIn(zones: Record<string, string>, tokens: Record<string, string[]>): Promise<CloudflareDnsStandIn> {
    const records = new Map<string, DnsRecord[]>(Object.values(zones).map((id) => [id, []]));
    const requests: CloudflareDnsStandIn["requests"] = [];
    const zoneName = (id: string) => Object.entries(zones).find(([, z]) => z === id)?.[0];

    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
            requests.push({ method: req.method!, path: req.url!, token, body });
            const send = (status: number, result: unknown, errors: { code: number; message: string }[] = []) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify({ success: errors.length === 0, errors, messages: [], result }));
            };
            const url = new URL(req.url!, "http://standin");
            const allowed = token !== undefined ? tokens[token] : undefined;
            if (!allowed) return send(400, null, [{ code: 6003, message: "Invalid request headers" }]);
            if (req.method === "GET" && url.pathname === "/client/v4/zones") {
                const name = url.searchParams.get("name");
                const visible = Object.entries(zones).filter(([n, id]) => allowed.includes(id) && (name === null || n === name));
                return send(200, visible.map(([n, id]) => ({ id, name: n, status: "active" })));
            }
            const m = /^\/client\/v4\/zones\/([0-9a-f]{32})\/dns_records(?:\/([0-9a-f]+))?$/.exec(url.pathname);
            if (!m) return send(404, null, [{ code: 7003, message: "Could not route to " + url.pathname }]);
            const [, zoneId, recordId] = m;
            if (!records.has(zoneId)) return send(404, null, [{ code: 7003, message: "No such zone" }]);
            if (!allowed.includes(zoneId)) return send(403, null, [{ code: 10000, message: "Authentication error" }]);
            const list = records.get(zoneId)!;
            if (req.method === "GET" && !recordId) {
                const q = url.searchParams;
                return send(200, list.filter((r) => (!q.get("type") || r.type === q.get("type")) && (!q.get("name") || r.name === q.get("name")) && (!q.get("content") || r.content === q.get("content"))));
            }
            if (req.method === "POST" && !recordId) {
                let data: Partial<DnsRecord>;
                try {
                    data = JSON.parse(body);
                } catch {
                    return send(400, null, [{ code: 9207, message: "Request body is invalid" }]);
                }
                const zone = zoneName(zoneId)!;
                if (!data.type || !data.name || typeof data.content !== "string") return send(400, null, [{ code: 9005, message: "type, name and content are required" }]);
                if (data.name !== zone && !data.name.endsWith(`.${zone}`)) return send(400, null, [{ code: 9007, message: `${data.name} is not in zone ${zone}` }]);
                const ttl = data.ttl ?? 1;
                if (ttl !== 1 && (ttl < 60 || ttl > 86400)) return send(400, null, [{ code: 9021, message: "Invalid TTL" }]);
                const record = { id: randomBytes(16).toString("hex"), type: data.type, name: data.name, content: data.content, ttl };
                list.push(record);
                return send(200, record);
            }
            if (req.method === "DELETE" && recordId) {
                const i = list.findIndex((r) => r.id === recordId);
                if (i < 0) return send(404, null, [{ code: 81044, message: "Record does not exist" }]);
                list.splice(i, 1);
                return send(200, { id: recordId });
            }
            return send(405, null, [{ code: 10405, message: "Method not allowed" }]);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

    const dns = dgram.createSocket("udp4");
    dns.on("message", (msg, rinfo) => {
        const answer = answerQuery(msg, [...records.values()].flat());
        if (answer) dns.send(answer, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => dns.bind(0, "127.0.0.1", resolve));

    return {
        apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
        dnsAddress: `127.0.0.1:${(dns.address() as AddressInfo).port}`,
        records,
        requests,
        close: async () => {
            await new Promise<void>((resolve) => dns.close(() => resolve()));
            await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
        },
    };
}

const TYPES: Record<number, string> = { 1: "A", 16: "TXT" };

/** The answer to one DNS query (RFC 1035 §4), or undefined for a message that is not one. */
function answerQuery(msg: Buffer, records: DnsRecord[]): Buffer | undefined {
    if (msg.length < 12 || (msg[2] & 0x80) !== 0 || msg.readUInt16BE(4) !== 1) return undefined;
    let o = 12;
    const labels: string[] = [];
    while (o < msg.length && msg[o] !== 0) {
        labels.push(msg.subarray(o + 1, o + 1 + msg[o]).toString("ascii"));
        o += 1 + msg[o];
    }
    const question = msg.subarray(12, o + 5);
    const qtype = msg.readUInt16BE(o + 1);
    const name = labels.join(".").toLowerCase();
    const known = records.some((r) => r.name.toLowerCase() === name);
    const matches = records.filter((r) => r.name.toLowerCase() === name && r.type === TYPES[qtype]);
    const answers = matches.map((r) => {
        const rdata = r.type === "A" ? Buffer.from(r.content.split(".").map(Number)) : txtData(r.content);
        const rr = Buffer.alloc(12);
        rr.writeUInt16BE(0xc00c, 0); // the question's name
        rr.writeUInt16BE(qtype, 2);
        rr.writeUInt16BE(1, 4); // IN
        rr.writeUInt32BE(r.ttl === 1 ? 300 : r.ttl, 6);
        rr.writeUInt16BE(rdata.length, 10);
        return Buffer.concat([rr, rdata]);
    });
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2); // response, authoritative, RD copied, NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, question, ...answers]);
}

/** TXT RDATA: the text in character-strings of at most 255 octets (RFC 1035 §3.3.14). */
function txtData(text: string): Buffer {
    const bytes = Buffer.from(text, "utf8");
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length || i === 0; i += 255) {
        const chunk = bytes.subarray(i, i + 255);
        parts.push(Buffer.from([chunk.length]), chunk);
        if (bytes.length === 0) break;
    }
    return Buffer.concat(parts);
}
