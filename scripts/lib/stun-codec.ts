/**
 * STUN/TURN message codec: bytes in, bytes out, no sockets.
 *
 * Covers what turn-stack's TURN client sends and reads: the 20-byte header, attributes (TLV, padded to
 * 4 bytes), XOR-*-ADDRESS, ERROR-CODE, MESSAGE-INTEGRITY (HMAC-SHA1), FINGERPRINT (CRC-32 xor
 * 0x5354554e), the long-term credential key, and ChannelData framing.
 * Sources: RFC 8489 (STUN) §5, §6.2.2, §9.2.2, §14; RFC 8656 (TURN) §12.4, §17, §18.
 * Proven against the test vectors of RFC 5769 (test/unit/stun-codec.test.ts).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { crc32 } from "node:zlib";
import ipaddr from "ipaddr.js";

/** RFC 8489 §5: fixed value in bytes 4-7 of every message; also the XOR mask's first 4 bytes. */
export const MAGIC_COOKIE = 0x2112a442;
/** RFC 8489 §14.7: FINGERPRINT = CRC-32 of the message up to it, XOR this. */
export const FINGERPRINT_XOR = 0x5354554e;
const HEADER_BYTES = 20;

/** STUN/TURN methods (RFC 8489 §18.2, RFC 8656 §17). */
export const Method = {
    Binding: 0x001,
    Allocate: 0x003,
    Refresh: 0x004,
    Send: 0x006,
    Data: 0x007,
    CreatePermission: 0x008,
    ChannelBind: 0x009,
} as const;

/** STUN message classes, as their bits in the message type (RFC 8489 §5). */
export const Class = { Request: 0x000, Indication: 0x010, Success: 0x100, Error: 0x110 } as const;

/** Attribute types (RFC 8489 §18.3, RFC 8656 §18, RFC 8445 §16.1 for the ICE ones in RFC 5769's vectors). */
export const Attr = {
    MappedAddress: 0x0001,
    Username: 0x0006,
    MessageIntegrity: 0x0008,
    ErrorCode: 0x0009,
    ChannelNumber: 0x000c,
    Lifetime: 0x000d,
    XorPeerAddress: 0x0012,
    Data: 0x0013,
    Realm: 0x0014,
    Nonce: 0x0015,
    XorRelayedAddress: 0x0016,
    RequestedTransport: 0x0019,
    XorMappedAddress: 0x0020,
    Priority: 0x0024,
    Software: 0x8022,
    Fingerprint: 0x8028,
    IceControlled: 0x8029,
    IceControlling: 0x802a,
} as const;

/** IANA protocol numbers for REQUESTED-TRANSPORT (RFC 8656 §18.7). */
export const Transport = { UDP: 17, TCP: 6 } as const;

/** A transport address: an IPv4 or IPv6 address in text form, and a port. */
export interface Address {
    address: string;
    port: number;
}

/** A STUN message: method, class, 12-byte transaction id, attributes in wire order (values unpadded). */
export interface StunMessage {
    method: number;
    cls: number;
    transactionId: Buffer;
    attrs: { type: number; value: Buffer }[];
}

/** A STUN/TURN error response, as an Error. `code` is the ERROR-CODE number (RFC 8489 §14.8). */
export class TurnError extends Error {
    constructor(
        readonly code: number,
        readonly reason: string,
        readonly method: number,
    ) {
        super(`TURN error ${code} ${reason}`);
        this.name = "TurnError";
    }
}

/** RFC 8489 §5: the method's 12 bits are split around the two class bits. */
function messageType(method: number, cls: number): number {
    return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | cls;
}

function splitType(type: number): { method: number; cls: number } {
    const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
    return { method, cls: type & 0x0110 };
}

/** Round up to a multiple of 4: attributes (RFC 8489 §14) and ChannelData on streams (RFC 8656 §12.5) are padded so. */
export function pad4(n: number): number {
    return (n + 3) & ~3;
}

/** A 4-byte big-endian unsigned integer (LIFETIME, FINGERPRINT, ...). */
export function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
}

function attrBuf(type: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length));
    b.writeUInt16BE(type, 0);
    b.writeUInt16BE(value.length, 2);
    value.copy(b, 4);
    return b;
}

function xorMask(transactionId: Buffer): Buffer {
    return Buffer.concat([u32(MAGIC_COOKIE), transactionId]);
}

/**
 * Encode an XOR-*-ADDRESS value (RFC 8489 §14.2): family 0x01/0x02, port xor the cookie's top 16 bits,
 * address xor cookie (IPv4) or cookie + transaction id (IPv6). Address bytes come from ipaddr.js.
 * @throws Error when `addr.address` is not an IP address
 */
export function encodeXorAddress(addr: Address, transactionId: Buffer): Buffer {
    if (isIP(addr.address) === 0) throw new Error(`not an IP address: ${addr.address}`);
    const ip = ipaddr.parse(addr.address);
    const bytes = ip.toByteArray();
    const mask = xorMask(transactionId);
    const head = Buffer.alloc(4);
    head.writeUInt8(ip.kind() === "ipv4" ? 0x01 : 0x02, 1);
    head.writeUInt16BE(addr.port ^ (MAGIC_COOKIE >>> 16), 2);
    return Buffer.concat([head, Buffer.from(bytes.map((byte, i) => byte ^ mask[i]))]);
}

/** Decode an XOR-*-ADDRESS value; IPv6 comes back in RFC 5952 form (ipaddr.js), e.g. `2001:db8::1`. */
export function decodeXorAddress(v: Buffer, transactionId: Buffer): Address {
    const family = v.readUInt8(1);
    const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
    const mask = xorMask(transactionId);
    const raw = [...v.subarray(4, family === 0x01 ? 8 : 20)].map((byte, i) => byte ^ mask[i]);
    return { address: ipaddr.fromByteArray(raw).toString(), port };
}

/**
 * Long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 §9.2.2). The password is used as
 * given: RFC 8489 asks for OpaqueString (SASLprep) processing first, a no-op for the ASCII passwords of
 * TURN REST credentials (base64).
 */
export function longTermKey(username: string, realm: string, password: string): Buffer {
    return createHash("md5").update(`${username}:${realm}:${password}`).digest();
}

/** Encoding choices: MESSAGE-INTEGRITY with `key` (long-term key or short-term password), and FINGERPRINT. */
export interface EncodeOptions {
    /** Append FINGERPRINT (RFC 8489 §14.7). Default true: coturn runs with `fingerprint`. */
    fingerprint?: boolean;
}

/**
 * Encode a STUN message. With `key`, appends MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to it, with
 * the header length counting it; RFC 8489 §14.5); then FINGERPRINT unless `opts.fingerprint` is false.
 */
export function encodeMessage(m: StunMessage, key?: Buffer, opts: EncodeOptions = {}): Buffer {
    let body = Buffer.concat(m.attrs.map((a) => attrBuf(a.type, a.value)));
    const header = (extra: number) => {
        const h = Buffer.alloc(HEADER_BYTES);
        h.writeUInt16BE(messageType(m.method, m.cls), 0);
        h.writeUInt16BE(body.length + extra, 2);
        h.writeUInt32BE(MAGIC_COOKIE, 4);
        m.transactionId.copy(h, 8);
        return h;
    };
    if (key) {
        const hmac = createHmac("sha1", key).update(Buffer.concat([header(24), body])).digest();
        body = Buffer.concat([body, attrBuf(Attr.MessageIntegrity, hmac)]);
    }
    if (opts.fingerprint ?? true) {
        const crc = (crc32(Buffer.concat([header(8), body])) ^ FINGERPRINT_XOR) >>> 0;
        body = Buffer.concat([body, attrBuf(Attr.Fingerprint, u32(crc))]);
    }
    return Buffer.concat([header(0), body]);
}

/** Attributes of a raw message with their byte offsets (of the attribute header). */
function walk(buf: Buffer): { type: number; offset: number; value: Buffer }[] {
    const end = HEADER_BYTES + buf.readUInt16BE(2);
    const out: { type: number; offset: number; value: Buffer }[] = [];
    for (let off = HEADER_BYTES; off + 4 <= end; ) {
        const len = buf.readUInt16BE(off + 2);
        out.push({ type: buf.readUInt16BE(off), offset: off, value: buf.subarray(off + 4, off + 4 + len) });
        off += 4 + pad4(len);
    }
    return out;
}

/** Decode one STUN message. @throws Error when it is not STUN (top bits, magic cookie) or is truncated */
export function decodeMessage(buf: Buffer): StunMessage {
    if (buf.length < HEADER_BYTES || buf.readUInt32BE(4) !== MAGIC_COOKIE || (buf[0] & 0xc0) !== 0) throw new Error("not a STUN message");
    if (buf.length < HEADER_BYTES + buf.readUInt16BE(2)) throw new Error("truncated STUN message");
    const { method, cls } = splitType(buf.readUInt16BE(0));
    const attrs = walk(buf).map(({ type, value }) => ({ type, value }));
    return { method, cls, transactionId: Buffer.from(buf.subarray(8, 20)), attrs };
}

/** A copy of the message's first `upTo` bytes whose header length says the message ends at `end`. */
function covering(buf: Buffer, upTo: number, end: number): Buffer {
    const p = Buffer.from(buf.subarray(0, upTo));
    p.writeUInt16BE(end - HEADER_BYTES, 2);
    return p;
}

/**
 * Check MESSAGE-INTEGRITY of a raw message against `key` (RFC 8489 §14.5): the HMAC-SHA1 covers the
 * message up to the attribute, with the header length ending just after it. False when absent.
 */
export function verifyMessageIntegrity(buf: Buffer, key: Buffer): boolean {
    const mi = walk(buf).find((a) => a.type === Attr.MessageIntegrity);
    if (!mi || mi.value.length !== 20) return false;
    // The length field counts MESSAGE-INTEGRITY itself (24 bytes) but nothing after it (FINGERPRINT).
    const covered = covering(buf, mi.offset, mi.offset + 24);
    const expected = createHmac("sha1", key).update(covered).digest();
    return timingSafeEqual(expected, mi.value);
}

/** Check FINGERPRINT of a raw message (RFC 8489 §14.7): CRC-32 of everything before it, xor 0x5354554e. False when absent. */
export function verifyFingerprint(buf: Buffer): boolean {
    const fp = walk(buf).find((a) => a.type === Attr.Fingerprint);
    if (!fp || fp.value.length !== 4) return false;
    const covered = covering(buf, fp.offset, fp.offset + 8);
    return ((crc32(covered) ^ FINGERPRINT_XOR) >>> 0) === fp.value.readUInt32BE(0);
}

/** The first attribute of `type`, if any. */
export function attrValue(m: StunMessage, type: number): Buffer | undefined {
    return m.attrs.find((a) => a.type === type)?.value;
}

/** An error response as a TurnError: ERROR-CODE is class (hundreds) * 100 + number, then a UTF-8 reason (RFC 8489 §14.8). */
export function errorOf(m: StunMessage): TurnError {
    const v = attrValue(m, Attr.ErrorCode);
    const code = v ? (v[2] & 0x7) * 100 + v[3] : 0;
    return new TurnError(code, v ? v.subarray(4).toString("utf8") : "", m.method);
}

/** SOFTWARE attribute of a message, if present (coturn's `no-software-attribute` removes it). */
export function softwareOf(m: StunMessage): string | undefined {
    return attrValue(m, Attr.Software)?.toString("utf8");
}

/** Whether a packet is ChannelData: its first two bits are 01, channel numbers 0x4000-0x7FFF (RFC 8656 §12). */
export function isChannelData(b: Buffer): boolean {
    return b.length >= 4 && b[0] >= 0x40 && b[0] <= 0x7f;
}

/**
 * Encode ChannelData (RFC 8656 §12.4): channel number, length, data; over TCP/TLS padded to 4 bytes
 * (§12.5), over UDP not.
 */
export function encodeChannelData(channel: number, data: Buffer, stream: boolean): Buffer {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(channel, 0);
    head.writeUInt16BE(data.length, 2);
    const padding = stream ? Buffer.alloc(pad4(data.length) - data.length) : Buffer.alloc(0);
    return Buffer.concat([head, data, padding]);
}

/** Decode ChannelData: the channel and its data (any padding dropped). */
export function decodeChannelData(b: Buffer): { channel: number; data: Buffer } {
    return { channel: b.readUInt16BE(0), data: b.subarray(4, 4 + b.readUInt16BE(2)) };
}

/**
 * Length of the next framed message at the start of a TCP/TLS byte stream (RFC 8489 §6.2.2, RFC 8656 §12.5):
 * STUN is 20 + its length field, ChannelData 4 + its length padded to 4. Needs at least 4 bytes.
 */
export function streamFrameLength(buf: Buffer): number {
    return isChannelData(buf) ? 4 + pad4(buf.readUInt16BE(2)) : HEADER_BYTES + buf.readUInt16BE(2);
}
