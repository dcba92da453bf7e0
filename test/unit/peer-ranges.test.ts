/** The peer deny-list (infra/peer-ranges.ts): every non-public range, in coturn's first-last form. */
import { test } from "vitest";
import assert from "node:assert/strict";
import { DENIED_IPV4, coturnRange, isDeniedPeer } from "../../infra/peer-ranges";

test("peer ranges: edges of each range are denied, their neighbours outside it are not", () => {
    for (const r of DENIED_IPV4) {
        const [first, last] = coturnRange(r.cidr).split("-");
        assert.ok(isDeniedPeer(first) && isDeniedPeer(last ?? first), r.cidr);
    }
    for (const pub of ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "169.253.255.255", "223.255.255.255", "2606:4700::1111"]) {
        assert.equal(isDeniedPeer(pub), false, pub);
    }
    for (const priv of ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "fe80::1", "::1"]) {
        assert.equal(isDeniedPeer(priv), true, priv);
    }
});
