/**
 * Test-only TLS material made with the openssl CLI: a throwaway CA and a
 * server certificate for a name, so TURN over TLS can be checked with real
 * certificate validation (and a wrong CA shown to fail).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
    dir: string;
    caCert: string;
    serverCertFile: string;
    serverKeyFile: string;
    /** A second CA that signed nothing here, for negative checks. */
    otherCaCert: string;
    cleanup(): void;
}

export function makeTestPki(serverName: string): TestPki {
    const dir = mkdtempSync(join(tmpdir(), "turn-stack-pki-"));
    const p = (f: string) => join(dir, f);
    const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    ossl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=turn-stack test CA");
    ossl("req", "-x509", ...ec, "-keyout", p("other-ca.key"), "-out", p("other-ca.pem"), "-days", "2", "-subj", "/CN=turn-stack other CA");
    ossl("req", ...ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", `/CN=${serverName}`);
    writeFileSync(p("ext.cnf"), `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`);
    ossl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", "2", "-extfile", p("ext.cnf"));
    return {
        dir,
        caCert: readFileSync(p("ca.pem"), "utf8"),
        otherCaCert: readFileSync(p("other-ca.pem"), "utf8"),
        serverCertFile: p("server.pem"),
        serverKeyFile: p("server.key"),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}
