/**
 * Test-only TLS material made with the openssl CLI: a throwaway CA, a second
 * CA nobody trusts, and server certificates with chosen subject alternative
 * names, so TURN over TLS can be checked with real certificate validation.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIP } from "node:net";

export interface IssuedCert {
    certFile: string;
    keyFile: string;
}

export interface TestPki {
    dir: string;
    caCert: string;
    /** Certificate for the name given to makeTestPki, signed by the test CA. */
    serverCertFile: string;
    serverKeyFile: string;
    /** A second CA that nobody trusts. */
    otherCaCert: string;
    /** Issue a server certificate for these names/IPs, by the test CA or the untrusted one. */
    issue(label: string, sans: string[], by?: "test" | "other"): IssuedCert;
    cleanup(): void;
}

export function makeTestPki(serverName: string, extraSans: string[] = []): TestPki {
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-pki-"));
    const p = (f: string) => join(dir, f);
    const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    ossl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=turn-stack test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    ossl("req", "-x509", ...ec, "-keyout", p("other-ca.key"), "-out", p("other-ca.pem"), "-days", "2", "-subj", "/CN=turn-stack other CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    const issue = (label: string, sans: string[], by: "test" | "other" = "test"): IssuedCert => {
        const ca = by === "test" ? "ca" : "other-ca";
        ossl("req", ...ec, "-keyout", p(`${label}.key`), "-out", p(`${label}.csr`), "-subj", `/CN=${sans[0]}`);
        const san = sans.map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(",");
        writeFileSync(p(`${label}.cnf`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
        ossl("x509", "-req", "-in", p(`${label}.csr`), "-CA", p(`${ca}.pem`), "-CAkey", p(`${ca}.key`), "-CAcreateserial", "-out", p(`${label}.pem`), "-days", "2", "-extfile", p(`${label}.cnf`));
        return { certFile: p(`${label}.pem`), keyFile: p(`${label}.key`) };
    };
    const server = issue("server", [serverName, ...extraSans]);
    return {
        dir,
        caCert: readFileSync(p("ca.pem"), "utf8"),
        otherCaCert: readFileSync(p("other-ca.pem"), "utf8"),
        serverCertFile: server.certFile,
        serverKeyFile: server.keyFile,
        issue,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}
