/**
 * What runs inside the page: two RTCPeerConnections with
 * `iceTransportPolicy: "relay"`, a data channel, messages both ways, and the
 * selected candidate pair read from getStats() on both sides.
 */
import type { Page } from "playwright-core";

export interface SideStats {
    localType: string;
    remoteType: string;
    localAddress: string;
    remoteAddress: string;
    /** relayProtocol of the local relay candidate: udp, tcp or tls. */
    relayProtocol?: string;
    /** The client address the TURN server saw (relatedAddress of the relay candidate). */
    relatedAddress?: string;
}

export interface RelayResult {
    ok: boolean;
    error?: string;
    received?: { atB: string; atA: string };
    a?: SideStats;
    b?: SideStats;
    /** Relay candidates gathered by side A (for negative cases). */
    relayCandidates: number;
}

/**
 * The in-page code, as plain JavaScript text: tsx's transform would add
 * helpers (`__name`) to a TypeScript function that do not exist in the page.
 */
const PAGE_SCRIPT = `async ({ iceServers, timeoutMs }) => {
    const cfg = { iceServers, iceTransportPolicy: "relay" };
    const a = new RTCPeerConnection(cfg);
    const b = new RTCPeerConnection(cfg);
    let relayCandidates = 0;
    a.onicecandidate = (e) => {
        if (e.candidate) {
            if (e.candidate.type === "relay") relayCandidates++;
            b.addIceCandidate(e.candidate);
        }
    };
    b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("no relayed data channel within " + timeoutMs + " ms")), timeoutMs));
    const stats = async (pc) => {
        const report = await pc.getStats();
        let pair;
        report.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
        const local = report.get(pair.localCandidateId);
        const remote = report.get(pair.remoteCandidateId);
        return {
            localType: local.candidateType,
            remoteType: remote.candidateType,
            localAddress: local.address + ":" + local.port,
            remoteAddress: remote.address + ":" + remote.port,
            relayProtocol: local.relayProtocol,
            relatedAddress: local.relatedAddress,
        };
    };
    try {
        const channel = a.createDataChannel("turn-stack");
        const atB = new Promise((resolve) => {
            b.ondatachannel = (ev) => {
                ev.channel.onmessage = (m) => { ev.channel.send("pong:" + m.data); resolve(String(m.data)); };
            };
        });
        const atA = new Promise((resolve) => { channel.onmessage = (m) => resolve(String(m.data)); });
        channel.onopen = () => channel.send("ping from A");
        await a.setLocalDescription(await a.createOffer());
        await b.setRemoteDescription(a.localDescription);
        await b.setLocalDescription(await b.createAnswer());
        await a.setRemoteDescription(b.localDescription);
        const received = await Promise.race([Promise.all([atB, atA]).then(([x, y]) => ({ atB: x, atA: y })), timeout]);
        return { ok: true, received, a: await stats(a), b: await stats(b), relayCandidates };
    } catch (e) {
        return { ok: false, error: String(e), relayCandidates };
    } finally {
        a.close();
        b.close();
    }
}`;

/** Connect two peers through the given ICE servers, relay only; resolves within `timeoutMs`. */
export function relayBetweenTwoPeers(page: Page, iceServers: unknown[], timeoutMs: number): Promise<RelayResult> {
    return page.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify({ iceServers, timeoutMs })})`) as Promise<RelayResult>;
}
