/**
 * STUN/TURN codec (scripts/lib/stun-codec.ts) against the test vectors of RFC 5769
 * ("Test Vectors for STUN", April 2010, §2.1-2.4), plus the TURN parts the vectors don't cover.
 *
 * The vectors' bytes are typed in as the RFC prints them; the MESSAGE-INTEGRITY and FINGERPRINT
 * checks below would fail on any mistyped byte.
 */
import { test } from "vitest";
import assert from "node:assert/strict";
import {
    Attr,
    Class,
    Method,
    attrValue,
    decodeChannelData,
    decodeMessage,
    decodeXorAddress,
    encodeChannelData,
    encodeMessage,
    encodeXorAddress,
    errorOf,
    isChannelData,
    longTermKey,
    softwareOf,
    streamFrameLength,
    verifyFingerprint,
    verifyMessageIntegrity,
    TurnError,
} from "../../scripts/lib/stun-codec";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** RFC 5769 §2: the short-term password of vectors 2.1-2.3 (key = the password's bytes). */
const SHORT_TERM_KEY = Buffer.from("VOkJxbRl1RmTxUk/WvJxBt", "utf8");
const TID = hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae");

/** §2.1 Sample Request: Binding request, SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED, USERNAME "evtj:h6vY". */
const SAMPLE_REQUEST = hex(`
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf`);

/** §2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
const IPV4_RESPONSE = hex(`
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96`);

/** §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
const IPV6_RESPONSE = hex(`
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c`);

/** §2.4 Sample Request with Long-Term Authentication: USERNAME, NONCE, REALM, MESSAGE-INTEGRITY; no FINGERPRINT. */
const LONG_TERM_REQUEST = hex(`
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);
/** §2.4: username U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 ("matrix" in katakana). */
const LT_USERNAME = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
const LT_REALM = "example.org";
const LT_NONCE = "f//499k954d6OL34oL9FSTvy64sA";
/** §2.4: the password "The<U+00AA>M<U+00AA>tr<U+2168>" after SASLprep (RFC 4013), as the key uses it. */
const LT_PASSWORD = "TheMatrIX";

function flipped(buf: Buffer, at: number): Buffer {
    const b = Buffer.from(buf);
    b[at] ^= 0x01;
    return b;
}

test("RFC 5769 §2.1 sample request: header, attributes, MESSAGE-INTEGRITY and FINGERPRINT verify", () => {
    const m = decodeMessage(SAMPLE_REQUEST);
    assert.equal(m.method, Method.Binding);
    assert.equal(m.cls, Class.Request);
    assert.deepEqual(m.transactionId, TID);
    assert.deepEqual(
        m.attrs.map((a) => a.type),
        [Attr.Software, Attr.Priority, Attr.IceControlled, Attr.Username, Attr.MessageIntegrity, Attr.Fingerprint],
    );
    assert.equal(softwareOf(m), "STUN test client");
    assert.equal(attrValue(m, Attr.Username)!.toString("utf8"), "evtj:h6vY", "length 9: the 0x20 padding is not part of the value");
    assert.equal(attrValue(m, Attr.Priority)!.readUInt32BE(0), 0x6e0001ff);
    assert.deepEqual(attrValue(m, Attr.IceControlled), hex("93 2f f9 b1 51 26 3b 36"));
    assert.equal(verifyMessageIntegrity(SAMPLE_REQUEST, SHORT_TERM_KEY), true);
    assert.equal(verifyFingerprint(SAMPLE_REQUEST), true);
    // Wrong key, or any byte changed before the MESSAGE-INTEGRITY, and the checks fail.
    assert.equal(verifyMessageIntegrity(SAMPLE_REQUEST, Buffer.from("VOkJxbRl1RmTxUk/WvJxBT")), false);
    assert.equal(verifyMessageIntegrity(flipped(SAMPLE_REQUEST, 30), SHORT_TERM_KEY), false);
    assert.equal(verifyFingerprint(flipped(SAMPLE_REQUEST, 30)), false);
    // A bit flipped inside the FINGERPRINT value breaks only the fingerprint.
    assert.equal(verifyMessageIntegrity(flipped(SAMPLE_REQUEST, SAMPLE_REQUEST.length - 1), SHORT_TERM_KEY), true);
    assert.equal(verifyFingerprint(flipped(SAMPLE_REQUEST, SAMPLE_REQUEST.length - 1)), false);
});

test("RFC 5769 §2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, decoded and encoded", () => {
    const m = decodeMessage(IPV4_RESPONSE);
    assert.equal(m.method, Method.Binding);
    assert.equal(m.cls, Class.Success);
    assert.equal(softwareOf(m), "test vector");
    const value = attrValue(m, Attr.XorMappedAddress)!;
    assert.deepEqual(decodeXorAddress(value, m.transactionId), { address: "192.0.2.1", port: 32853 });
    assert.deepEqual(encodeXorAddress({ address: "192.0.2.1", port: 32853 }, TID), value);
    assert.equal(verifyMessageIntegrity(IPV4_RESPONSE, SHORT_TERM_KEY), true);
    assert.equal(verifyFingerprint(IPV4_RESPONSE), true);
});

test("RFC 5769 §2.3 IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853, decoded and encoded", () => {
    const m = decodeMessage(IPV6_RESPONSE);
    assert.equal(m.cls, Class.Success);
    const value = attrValue(m, Attr.XorMappedAddress)!;
    const mapped = { address: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853 };
    assert.deepEqual(decodeXorAddress(value, m.transactionId), mapped);
    assert.deepEqual(encodeXorAddress(mapped, TID), value);
    // The same address in another spelling encodes to the same bytes (ipaddr.js parses it).
    assert.deepEqual(encodeXorAddress({ address: "2001:0db8:1234:5678:0011:2233:4455:6677", port: 32853 }, TID), value);
    assert.equal(verifyMessageIntegrity(IPV6_RESPONSE, SHORT_TERM_KEY), true);
    assert.equal(verifyFingerprint(IPV6_RESPONSE), true);
});

test("RFC 5769 §2.4 long-term authentication: key MD5(username:realm:password) verifies, and the codec re-encodes the vector byte for byte", () => {
    const m = decodeMessage(LONG_TERM_REQUEST);
    assert.equal(m.method, Method.Binding);
    assert.equal(m.cls, Class.Request);
    assert.equal(attrValue(m, Attr.Username)!.toString("utf8"), LT_USERNAME);
    assert.equal(attrValue(m, Attr.Realm)!.toString("utf8"), LT_REALM);
    assert.equal(attrValue(m, Attr.Nonce)!.toString("utf8"), LT_NONCE);
    const key = longTermKey(LT_USERNAME, LT_REALM, LT_PASSWORD);
    assert.equal(verifyMessageIntegrity(LONG_TERM_REQUEST, key), true);
    assert.equal(verifyMessageIntegrity(LONG_TERM_REQUEST, longTermKey(LT_USERNAME, LT_REALM, "thematrix")), false);
    assert.equal(verifyMessageIntegrity(LONG_TERM_REQUEST, longTermKey(LT_USERNAME, "example.com", LT_PASSWORD)), false);
    assert.equal(verifyFingerprint(LONG_TERM_REQUEST), false, "this vector has no FINGERPRINT");
    // Its padding is zero bytes, as the codec writes it, so encoding its attributes gives the RFC's bytes.
    const again = encodeMessage(
        {
            method: Method.Binding,
            cls: Class.Request,
            transactionId: m.transactionId,
            attrs: [
                { type: Attr.Username, value: Buffer.from(LT_USERNAME, "utf8") },
                { type: Attr.Nonce, value: Buffer.from(LT_NONCE, "utf8") },
                { type: Attr.Realm, value: Buffer.from(LT_REALM, "utf8") },
            ],
        },
        key,
        { fingerprint: false },
    );
    assert.deepEqual(again, LONG_TERM_REQUEST);
});

test("encode: FINGERPRINT by default, after MESSAGE-INTEGRITY; both verify; decode gives back the message", () => {
    const key = longTermKey("1700003600:alice", "turn.example.com", "pw");
    const sent = {
        method: Method.Allocate,
        cls: Class.Request,
        transactionId: TID,
        attrs: [
            { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) },
            { type: Attr.Data, value: Buffer.from("abcde") },
        ],
    };
    const buf = encodeMessage(sent, key);
    assert.equal(buf.readUInt16BE(0), 0x0003, "Allocate request");
    assert.equal(buf.readUInt16BE(2), buf.length - 20);
    const m = decodeMessage(buf);
    assert.deepEqual(
        m.attrs.map((a) => a.type),
        [Attr.RequestedTransport, Attr.Data, Attr.MessageIntegrity, Attr.Fingerprint],
    );
    assert.deepEqual(attrValue(m, Attr.Data), Buffer.from("abcde"));
    assert.equal(verifyMessageIntegrity(buf, key), true);
    assert.equal(verifyFingerprint(buf), true);
    // Without a key there is no MESSAGE-INTEGRITY to verify.
    const plain = encodeMessage(sent);
    assert.equal(verifyMessageIntegrity(plain, key), false);
    assert.equal(verifyFingerprint(plain), true);
});

test("message type: method and class bits interleave as RFC 8489 §5 draws them", () => {
    const cases: [number, number, number][] = [
        [Method.Binding, Class.Success, 0x0101],
        [Method.Allocate, Class.Error, 0x0113],
        [Method.Send, Class.Indication, 0x0016],
        [Method.Data, Class.Indication, 0x0017],
        [Method.ChannelBind, Class.Request, 0x0009],
        [Method.CreatePermission, Class.Success, 0x0108],
        [0xfff, Class.Error, 0x3fff],
    ];
    for (const [method, cls, type] of cases) {
        const buf = encodeMessage({ method, cls, transactionId: TID, attrs: [] }, undefined, { fingerprint: false });
        assert.equal(buf.readUInt16BE(0), type, `0x${type.toString(16)}`);
        const m = decodeMessage(buf);
        assert.equal(m.method, method);
        assert.equal(m.cls, cls);
    }
});

test("decode: refuses what is not STUN or is cut short", () => {
    assert.throws(() => decodeMessage(SAMPLE_REQUEST.subarray(0, 19)), /not a STUN message/);
    assert.throws(() => decodeMessage(flipped(SAMPLE_REQUEST, 4)), /not a STUN message/, "magic cookie");
    const topBits = Buffer.from(SAMPLE_REQUEST);
    topBits[0] |= 0x80;
    assert.throws(() => decodeMessage(topBits), /not a STUN message/);
    assert.throws(() => decodeMessage(SAMPLE_REQUEST.subarray(0, SAMPLE_REQUEST.length - 1)), /truncated/);
});

test("XOR addresses: IPv4, IPv6, IPv4-mapped IPv6 round-trip; a non-address is refused", () => {
    for (const a of [
        { address: "203.0.113.7", port: 1 },
        { address: "127.0.0.1", port: 65535 },
        { address: "2001:db8::1", port: 3478 },
        { address: "::1", port: 5349 },
        { address: "fd00:ec2::254", port: 49152 },
    ]) {
        const v = encodeXorAddress(a, TID);
        assert.equal(v.length, a.address.includes(":") ? 20 : 8);
        assert.deepEqual(decodeXorAddress(v, TID), a);
    }
    // An IPv4-mapped IPv6 address stays IPv6 on the wire (family 0x02, 16 bytes).
    const mapped = encodeXorAddress({ address: "::ffff:10.0.0.1", port: 9 }, TID);
    assert.equal(mapped[1], 0x02);
    assert.deepEqual(decodeXorAddress(mapped, TID), { address: "::ffff:a00:1", port: 9 });
    assert.throws(() => encodeXorAddress({ address: "turn.example.com", port: 1 }, TID), /not an IP address/);
});

test("ERROR-CODE: class * 100 + number and the reason, as a TurnError", () => {
    const errorValue = (code: number, reason: string) => Buffer.concat([Buffer.from([0, 0, Math.floor(code / 100), code % 100]), Buffer.from(reason)]);
    for (const [code, reason] of [[401, "Unauthorized"], [403, "Forbidden"], [438, "Stale Nonce"], [442, "Unsupported Transport Protocol"], [486, "Allocation Quota Reached"]] as const) {
        const m = decodeMessage(encodeMessage({ method: Method.Allocate, cls: Class.Error, transactionId: TID, attrs: [{ type: Attr.ErrorCode, value: errorValue(code, reason) }] }));
        const e = errorOf(m);
        assert.ok(e instanceof TurnError);
        assert.equal(e.code, code);
        assert.equal(e.reason, reason);
        assert.equal(e.method, Method.Allocate);
        assert.equal(e.message, `TURN error ${code} ${reason}`);
    }
    const bare = errorOf({ method: Method.Refresh, cls: Class.Error, transactionId: TID, attrs: [] });
    assert.equal(bare.code, 0, "an error response without ERROR-CODE");
    assert.equal(softwareOf({ method: Method.Binding, cls: Class.Success, transactionId: TID, attrs: [] }), undefined);
});

test("ChannelData: padded to 4 bytes on streams only; stream framing finds STUN and ChannelData lengths", () => {
    const udp = encodeChannelData(0x4001, Buffer.from("hello"), false);
    assert.deepEqual(udp, hex("40 01 00 05 68 65 6c 6c 6f"));
    const tcp = encodeChannelData(0x4fff, Buffer.from("hello"), true);
    assert.deepEqual(tcp, hex("4f ff 00 05 68 65 6c 6c 6f 00 00 00"));
    assert.ok(isChannelData(udp) && isChannelData(tcp));
    assert.ok(!isChannelData(SAMPLE_REQUEST));
    assert.deepEqual(decodeChannelData(tcp), { channel: 0x4fff, data: Buffer.from("hello") });
    assert.equal(streamFrameLength(tcp), 12);
    assert.equal(streamFrameLength(encodeChannelData(0x4000, Buffer.alloc(8), true)), 12);
    assert.equal(streamFrameLength(SAMPLE_REQUEST), SAMPLE_REQUEST.length);
});
