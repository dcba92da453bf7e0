/**
 * A small TURN client (RFC 8656) over STUN (RFC 8489), for probing a TURN
 * server at the allocation level: Allocate with long-term credentials,
 * CreatePermission, ChannelBind, Send/Data indications, Refresh and Binding.
 *
 * It exists because the checks turn-stack makes (is this peer refused with
 * 403? is TCP relay refused with 442? is the SOFTWARE attribute hidden?) need
 * each response's error code, which `turnutils_uclient` does not report in a
 * form a test can assert on. Used by the tests, `npm run local`'s readiness
 * wait, and the readiness probe.
 *
 * Transports: `udp` (with RFC 8489 §6.2.1 retransmission), `tcp`, and `tls`
 * (TURN over TLS, RFC 7350), framed per RFC 8489 §6.2.2.
 *
 * This file holds sockets, transactions and the allocation's state; the bytes
 * (messages, attributes, integrity, fingerprint, ChannelData) are ./stun-codec.ts,
 * tested against RFC 5769's vectors.
 */
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import { isIP } from "node:net";
import {
    Attr,
    Class,
    Method,
    Transport,
    TurnError,
    attrValue as attr,
    decodeChannelData,
    decodeMessage,
    decodeXorAddress,
    encodeChannelData,
    encodeMessage,
    encodeXorAddress,
    errorOf,
    isChannelData,
    longTermKey,
    streamFrameLength,
    u32,
    type Address,
    type StunMessage,
} from "./stun-codec";

// The codec's public names, re-exported so callers keep importing the client alone.
export { Attr, Method, Transport, TurnError, softwareOf, type Address, type StunMessage } from "./stun-codec";

/** An attribute to send: a raw value, or a peer address encoded per transaction. */
type OutAttr = { type: number; value: Buffer } | { type: number; peer: Address };

/** Where and how to reach a TURN server. */
export interface ConnectOptions {
    host: string;
    port: number;
    transport: "udp" | "tcp" | "tls";
    /** TLS only: server name for SNI and certificate check (default `host`). */
    servername?: string;
    /** TLS only: trusted CA certificates (PEM); default Node's bundled roots. */
    ca?: string | Buffer;
    /** Per-request timeout, milliseconds (default 5000). */
    timeoutMs?: number;
    /** Local address to bind (UDP/TCP). */
    localAddress?: string;
}

/** Something received from a peer through the relay. */
export interface PeerData {
    peer: Address;
    data: Buffer;
}

/**
 * One client connection to a TURN server, holding at most one allocation.
 * Call {@link TurnClient.connect}; always {@link close} when done.
 */
export class TurnClient {
    private pending = new Map<string, { resolve: (m: StunMessage) => void; reject: (e: Error) => void }>();
    private credentials?: { username: string; realm: string; nonce: Buffer; key: Buffer };
    private listeners: ((d: PeerData) => void)[] = [];
    private channels = new Map<number, Address>();
    private tcpBuffer = Buffer.alloc(0);
    private closed = false;
    /** Every message received, for inspection (e.g. the SOFTWARE attribute). */
    readonly received: StunMessage[] = [];

    private constructor(
        private readonly opts: ConnectOptions,
        private readonly sendRaw: (b: Buffer) => void,
        private readonly closeRaw: () => void,
    ) {}

    /**
     * Connect to a TURN server.
     * @throws Error when the TCP/TLS connection fails (refused, certificate invalid) or times out
     */
    static async connect(opts: ConnectOptions): Promise<TurnClient> {
        const timeoutMs = opts.timeoutMs ?? 5000;
        if (opts.transport === "udp") {
            const sock = dgram.createSocket(isIP(opts.host) === 6 ? "udp6" : "udp4");
            await new Promise<void>((res, rej) => {
                sock.once("error", rej);
                sock.bind(0, opts.localAddress, () => res());
            });
            const c = new TurnClient(
                opts,
                (b) => sock.send(b, opts.port, opts.host),
                () => sock.close(),
            );
            sock.on("message", (b) => c.onPacket(b));
            sock.on("error", (e) => c.failAll(e));
            return c;
        }
        const servername = opts.servername ?? opts.host;
        const stream = await new Promise<net.Socket>((res, rej) => {
            const timer = setTimeout(() => {
                s.destroy();
                rej(new Error(`${opts.transport.toUpperCase()} connect to ${opts.host}:${opts.port} timed out after ${timeoutMs} ms`));
            }, timeoutMs);
            const done = () => {
                clearTimeout(timer);
                res(s);
            };
            const s: net.Socket =
                opts.transport === "tls"
                    ? tls.connect({ host: opts.host, port: opts.port, servername: isIP(servername) ? undefined : servername, ca: opts.ca }, done)
                    : net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress }, done);
            s.once("error", (e) => {
                clearTimeout(timer);
                rej(e);
            });
        });
        const c = new TurnClient(
            opts,
            (b) => stream.write(b),
            () => stream.destroy(),
        );
        stream.on("data", (b: Buffer) => c.onStream(b));
        stream.on("error", (e) => c.failAll(e));
        stream.on("close", () => c.failAll(new Error("connection closed by server")));
        return c;
    }

    /** Register a listener for data relayed from peers (Data indications and ChannelData). */
    onData(fn: (d: PeerData) => void): void {
        this.listeners.push(fn);
    }

    /** Wait for the next data from `peer` (address match), or time out. */
    nextData(fromAddress: string, timeoutMs = 3000): Promise<PeerData> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.listeners = this.listeners.filter((l) => l !== fn);
                reject(new Error(`no data from ${fromAddress} within ${timeoutMs} ms`));
            }, timeoutMs);
            const fn = (d: PeerData) => {
                if (d.peer.address !== fromAddress) return;
                clearTimeout(timer);
                this.listeners = this.listeners.filter((l) => l !== fn);
                resolve(d);
            };
            this.listeners.push(fn);
        });
    }

    /** Send a Binding request; returns the response (for XOR-MAPPED-ADDRESS, SOFTWARE). */
    async binding(): Promise<StunMessage> {
        return this.request(Method.Binding, []);
    }

    /**
     * Allocate a relayed transport address with long-term credentials
     * (RFC 8656 §7.2): first unauthenticated, then with USERNAME/REALM/NONCE/
     * MESSAGE-INTEGRITY after the server's 401; retries once on 438 Stale Nonce.
     * @param requestedTransport 17 (UDP, default) or 6 (TCP, RFC 6062)
     * @returns relayed and mapped addresses and the lifetime in seconds
     * @throws TurnError with the server's code (401 bad credentials, 442 unsupported transport, 486 quota, ...)
     */
    async allocate(
        username: string,
        password: string,
        requestedTransport: number = Transport.UDP,
    ): Promise<{ relayed: Address; mapped: Address; lifetime: number; response: StunMessage }> {
        const transportAttr = { type: Attr.RequestedTransport, value: Buffer.from([requestedTransport, 0, 0, 0]) };
        let res: StunMessage;
        try {
            res = await this.request(Method.Allocate, [transportAttr]);
        } catch (e) {
            if (!(e instanceof TurnError) || e.code !== 401) throw e;
            const challenge = this.received.at(-1)!;
            const realm = attr(challenge, Attr.Realm)?.toString("utf8");
            const nonce = attr(challenge, Attr.Nonce);
            if (realm === undefined || !nonce) throw e;
            this.credentials = { username, realm, nonce: Buffer.from(nonce), key: longTermKey(username, realm, password) };
            res = await this.authedRequest(Method.Allocate, [transportAttr]);
        }
        const tid = res.transactionId;
        return {
            relayed: decodeXorAddress(attr(res, Attr.XorRelayedAddress)!, tid),
            mapped: decodeXorAddress(attr(res, Attr.XorMappedAddress)!, tid),
            lifetime: attr(res, Attr.Lifetime)?.readUInt32BE(0) ?? 0,
            response: res,
        };
    }

    /**
     * Install a permission for a peer IP (RFC 8656 §9). Port is ignored by the server.
     * @throws TurnError (403 Forbidden for a denied peer, 443 Peer Address Family Mismatch, ...)
     */
    async createPermission(peerAddress: string): Promise<void> {
        await this.authedRequest(Method.CreatePermission, [this.peerAttr({ address: peerAddress, port: 0 })]);
    }

    /**
     * Bind a channel (0x4000-0x4FFF) to a peer (RFC 8656 §12).
     * @throws TurnError (403 for a denied peer, 400 for a bad channel number)
     */
    async channelBind(channel: number, peer: Address): Promise<void> {
        const ch = Buffer.alloc(4);
        ch.writeUInt16BE(channel, 0);
        await this.authedRequest(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: ch }, this.peerAttr(peer)]);
        this.channels.set(channel, peer);
    }

    /** Send data to a peer in a Send indication (RFC 8656 §10). No response is defined. */
    sendIndication(peer: Address, data: Buffer): void {
        // Indications carry no MESSAGE-INTEGRITY (RFC 8656 §10.1).
        const transactionId = randomBytes(12);
        const attrs = [
            { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
            { type: Attr.Data, value: data },
        ];
        this.sendRaw(encodeMessage({ method: Method.Send, cls: Class.Indication, transactionId, attrs }));
    }

    /** Send data on a bound channel as ChannelData (RFC 8656 §12.4). */
    sendChannelData(channel: number, data: Buffer): void {
        this.sendRaw(encodeChannelData(channel, data, this.opts.transport !== "udp"));
    }

    /** Refresh the allocation (RFC 8656 §8); lifetime 0 deletes it. */
    async refresh(lifetimeSeconds: number): Promise<void> {
        await this.authedRequest(Method.Refresh, [{ type: Attr.Lifetime, value: u32(lifetimeSeconds) }]);
    }

    /** Delete the allocation (if any, ignoring errors) and close the connection. */
    async close(): Promise<void> {
        if (this.closed) return;
        if (this.credentials) await this.refresh(0).catch(() => undefined);
        this.closed = true;
        this.failAll(new Error("client closed"));
        this.closeRaw();
    }

    private peerAttr(peer: Address): OutAttr {
        return { type: Attr.XorPeerAddress, peer };
    }

    private async authedRequest(method: number, attrs: OutAttr[]): Promise<StunMessage> {
        if (!this.credentials) throw new Error("no allocation: call allocate() first");
        for (let attempt = 0; ; attempt++) {
            const c: NonNullable<TurnClient["credentials"]> = this.credentials;
            try {
                return await this.request(
                    method,
                    [
                        ...attrs,
                        { type: Attr.Username, value: Buffer.from(c.username, "utf8") },
                        { type: Attr.Realm, value: Buffer.from(c.realm, "utf8") },
                        { type: Attr.Nonce, value: c.nonce },
                    ],
                    c.key,
                );
            } catch (e) {
                const challenge = this.received.at(-1);
                if (e instanceof TurnError && e.code === 438 && attempt === 0 && challenge) {
                    this.credentials = { ...c, nonce: Buffer.from(attr(challenge, Attr.Nonce) ?? c.nonce) };
                    continue;
                }
                throw e;
            }
        }
    }

    private request(method: number, attrs: OutAttr[], key?: Buffer): Promise<StunMessage> {
        if (this.closed) return Promise.reject(new Error("client closed"));
        const transactionId = randomBytes(12);
        // XOR-PEER-ADDRESS depends on the transaction id, so it is encoded here.
        const real = attrs.map((a) => ("peer" in a ? { type: a.type, value: encodeXorAddress(a.peer, transactionId) } : a));
        const packet = encodeMessage({ method, cls: Class.Request, transactionId, attrs: real }, key);
        const id = transactionId.toString("hex");
        const timeoutMs = this.opts.timeoutMs ?? 5000;
        return new Promise<StunMessage>((resolve, reject) => {
            let rto = 500;
            let retransmit: NodeJS.Timeout | undefined;
            const finish = () => {
                clearTimeout(deadline);
                clearTimeout(retransmit);
                this.pending.delete(id);
            };
            const deadline = setTimeout(() => {
                finish();
                reject(new Error(`no response to ${methodName(method)} from ${this.opts.transport}:${this.opts.host}:${this.opts.port} within ${timeoutMs} ms`));
            }, timeoutMs);
            const resend = () => {
                this.sendRaw(packet);
                if (this.opts.transport === "udp") {
                    retransmit = setTimeout(resend, rto);
                    rto *= 2;
                }
            };
            this.pending.set(id, {
                resolve: (m) => {
                    finish();
                    if (m.cls === Class.Error) reject(errorOf(m));
                    else resolve(m);
                },
                reject: (e) => {
                    finish();
                    reject(e);
                },
            });
            resend();
        });
    }

    private onStream(chunk: Buffer): void {
        this.tcpBuffer = Buffer.concat([this.tcpBuffer, chunk]);
        while (this.tcpBuffer.length >= 4) {
            const len = streamFrameLength(this.tcpBuffer);
            if (this.tcpBuffer.length < len) return;
            const one = this.tcpBuffer.subarray(0, len);
            this.tcpBuffer = this.tcpBuffer.subarray(len);
            this.onPacket(Buffer.from(one));
        }
    }

    private onPacket(b: Buffer): void {
        if (isChannelData(b)) {
            const { channel, data } = decodeChannelData(b);
            const peer = this.channels.get(channel);
            if (peer) this.emit({ peer, data });
            return;
        }
        let m: StunMessage;
        try {
            m = decodeMessage(b);
        } catch {
            return;
        }
        this.received.push(m);
        if (m.cls === Class.Indication && m.method === Method.Data) {
            const peer = attr(m, Attr.XorPeerAddress);
            const data = attr(m, Attr.Data);
            if (peer && data) this.emit({ peer: decodeXorAddress(peer, m.transactionId), data: Buffer.from(data) });
            return;
        }
        this.pending.get(m.transactionId.toString("hex"))?.resolve(m);
    }

    private emit(d: PeerData): void {
        for (const l of [...this.listeners]) l(d);
    }

    private failAll(e: Error): void {
        for (const p of [...this.pending.values()]) p.reject(e);
    }
}

function methodName(method: number): string {
    return Object.entries(Method).find(([, v]) => v === method)?.[0] ?? `method 0x${method.toString(16)}`;
}
