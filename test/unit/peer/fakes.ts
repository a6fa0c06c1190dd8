// In-process stand-ins for the four things the peer core has injected: a WebSocket wired to a real
// SignalingCoordinator, RTCPeerConnection pairs with DataChannels that deliver asynchronously and
// model bufferedAmount, an HTTP origin with Range support that counts requests, and webcrypto.
import { webcrypto } from 'node:crypto';
import { SignalingCoordinator, type Session } from '../../../lib/signaling/coordinator';
import type { DataChannelLike, FetchLike, PeerConnectionLike, PeerPlatform, SessionDescription, WebSocketLike } from '../../../lib/peer/platform';
import { subtleSha256 } from '../../../lib/peer/platform';

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason?: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  session: Session | undefined;
  /** The coordinator that accepted this socket (a restart replaces the server's). */
  coordinator: SignalingCoordinator | undefined;
  constructor(private readonly server: FakeSignalingServer) {
    setImmediate(() => server.accept(this));
  }
  send(data: string): void {
    if (this.readyState !== 1 || !this.session) throw new Error('not open');
    const session = this.session;
    const coordinator = this.coordinator!;
    setImmediate(() => coordinator.message(session, data, false));
  }
  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    if (this.session) this.coordinator!.disconnect(this.session);
    setImmediate(() => this.onclose?.({ code }));
  }
  /** The server side closing (a redeploy). */
  serverClose(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setImmediate(() => this.onclose?.({ code }));
  }
}

export class FakeSignalingServer {
  readonly sockets = new Set<FakeSocket>();
  coordinator: SignalingCoordinator;
  readonly receipts: unknown[] = [];
  readonly audit: Array<Record<string, unknown>> = [];
  /** `now`: the server's clock (a spec ages what the server holds without waiting). */
  constructor(private readonly now?: () => number) {
    this.coordinator = this.newCoordinator();
  }
  newCoordinator(): SignalingCoordinator {
    return new SignalingCoordinator({
      now: this.now,
      // Two engines link (the specs' swarms are small on purpose; the default needs three).
      limits: { openSwarms: false, maxConnectionsPerIp: 0, statsIntervalMs: 1000, minSwarmForLinks: 2 },
      onReceipt: (r) => this.receipts.push(r),
      onAudit: (a) => this.audit.push(a as unknown as Record<string, unknown>),
    });
  }
  accept(socket: FakeSocket): void {
    if (socket.readyState === 3) return;
    socket.readyState = 1;
    this.sockets.add(socket);
    socket.coordinator = this.coordinator;
    socket.session = this.coordinator.connect(
      {
        send: (text) =>
          setImmediate(() => {
            if (socket.readyState === 1) socket.onmessage?.({ data: text });
          }),
        close: (code) => socket.serverClose(code),
        bufferedAmount: () => 0,
      },
      '127.0.0.1',
    );
    socket.onopen?.({});
  }
  /** A redeploy: every socket closes with 4000 and a fresh coordinator (no memory) takes over. */
  restart(): void {
    this.coordinator.closeAll();
    this.sockets.clear();
    this.coordinator = this.newCoordinator();
  }
}

/** Delivers SDP between fake peer connections: an offer's sdp names its connection. */
const connections = new Map<string, FakePeerConnection>();
let nextConnection = 0;

export interface ChannelFaults {
  /** Rewrite (or drop, by returning null) each message this side sends. */
  outgoing?: (data: Uint8Array) => Uint8Array | null;
}

export class FakeDataChannel implements DataChannelLike {
  readyState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'arraybuffer';
  onopen: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onbufferedamountlow: ((e: unknown) => void) | null = null;
  remote: FakeDataChannel | undefined;
  faults: ChannelFaults = {};
  sentBytes = 0;
  send(data: ArrayBuffer | Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('channel not open');
    let bytes: Uint8Array = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
    const rewritten = this.faults.outgoing ? this.faults.outgoing(bytes) : bytes;
    if (rewritten === null) return;
    bytes = rewritten;
    this.bufferedAmount += bytes.byteLength;
    this.sentBytes += bytes.byteLength;
    setImmediate(() => {
      this.bufferedAmount -= bytes.byteLength;
      if (this.bufferedAmount <= this.bufferedAmountLowThreshold) this.onbufferedamountlow?.({});
      if (this.remote?.readyState === 'open') this.remote.onmessage?.({ data: bytes.buffer });
    });
  }
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    setImmediate(() => this.onclose?.({}));
    const remote = this.remote;
    if (remote && remote.readyState !== 'closed') {
      remote.readyState = 'closed';
      setImmediate(() => remote.onclose?.({}));
    }
  }
  open(): void {
    this.readyState = 'open';
    this.onopen?.({});
  }
}

export class FakePeerConnection implements PeerConnectionLike {
  connectionState = 'new';
  localDescription: SessionDescription | null = null;
  onicecandidate: PeerConnectionLike['onicecandidate'] = null;
  ondatachannel: PeerConnectionLike['ondatachannel'] = null;
  onconnectionstatechange: ((e: unknown) => void) | null = null;
  readonly name = `pc${nextConnection++}`;
  channel: FakeDataChannel | undefined;
  remote: FakePeerConnection | undefined;
  readonly candidatesAdded: string[] = [];
  constructor(private readonly owner: FakePlatform) {
    connections.set(this.name, this);
    owner.connections.push(this);
  }
  createDataChannel(): DataChannelLike {
    this.channel = new FakeDataChannel();
    this.channel.faults = this.owner.faults;
    return this.channel;
  }
  async createOffer(): Promise<SessionDescription> {
    return { type: 'offer', sdp: `fake-offer ${this.name}` };
  }
  async createAnswer(): Promise<SessionDescription> {
    return { type: 'answer', sdp: `fake-answer ${this.name}` };
  }
  async setLocalDescription(d: SessionDescription): Promise<void> {
    this.localDescription = d;
    // Two host candidates, one of them not on loopback, to exercise the candidate filter.
    setImmediate(() => {
      this.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
      this.onicecandidate?.({ candidate: { candidate: 'candidate:2 1 udp 1 192.0.2.7 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
      this.onicecandidate?.({ candidate: null });
    });
  }
  async setRemoteDescription(d: SessionDescription): Promise<void> {
    const remote = connections.get(String(d.sdp).split(' ')[1]);
    if (!remote) throw new Error('unknown remote description');
    this.remote = remote;
    if (d.type === 'answer') {
      if (this.owner.answerGate) await this.owner.answerGate();
      if (this.owner.failConnections || remote.owner.failConnections) {
        // ICE found no working pair (symmetric NATs on both sides): both ends see 'failed'.
        setImmediate(() => {
          for (const pc of [this, remote]) {
            if (pc.connectionState === 'closed') continue;
            pc.connectionState = 'failed';
            pc.onconnectionstatechange?.({});
          }
        });
        return;
      }
      // The offerer learns the answer: connect the channel pair.
      const mine = this.channel!;
      const theirs = new FakeDataChannel();
      theirs.faults = remote.owner.faults;
      mine.remote = theirs;
      theirs.remote = mine;
      remote.channel = theirs;
      setImmediate(() => {
        if (this.connectionState === 'closed' || remote.connectionState === 'closed') return;
        this.connectionState = remote.connectionState = 'connected';
        remote.ondatachannel?.({ channel: theirs });
        mine.open();
        theirs.open();
      });
    }
  }
  async addIceCandidate(c: { candidate: string } | null): Promise<void> {
    if (c) this.candidatesAdded.push(c.candidate);
  }
  close(): void {
    this.connectionState = 'closed';
    this.channel?.close();
    connections.delete(this.name);
  }
}

export class Origin {
  readonly objects = new Map<string, Uint8Array>();
  readonly requests: Array<{ url: string; range?: string }> = [];
  /** Responds after this promise (per request) — lets a test hold a response. */
  gate: (() => Promise<void>) | undefined;
  readonly fetch: FetchLike = async (url, init) => {
    const range = init.headers?.Range;
    this.requests.push({ url, range });
    if (this.gate) await this.gate();
    const body = this.objects.get(url);
    const text = typeof body === 'undefined' ? undefined : body;
    if (!text) return { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0), text: async () => '' };
    let bytes = text;
    let status = 200;
    const m = range ? /^bytes=(\d+)-(\d+)?$/.exec(range) : null;
    if (m) {
      bytes = text.subarray(Number(m[1]), m[2] ? Number(m[2]) + 1 : undefined);
      status = 206;
    }
    return { ok: true, status, arrayBuffer: async () => bytes.slice().buffer, text: async () => new TextDecoder().decode(bytes) };
  };
  segmentRequests(url: string): number {
    return this.requests.filter((r) => r.url === url).length;
  }
}

export class FakePlatform implements PeerPlatform {
  readonly connections: FakePeerConnection[] = [];
  faults: ChannelFaults = {};
  /** Holds each answer this platform's offers receive until it resolves (negotiations in flight). */
  answerGate: (() => Promise<void>) | undefined;
  /** Every connection this platform takes part in fails ICE. */
  failConnections = false;
  /** Added to the clock (a spec moves time past a back-off without waiting for it). */
  skewMs = 0;
  constructor(
    private readonly server: FakeSignalingServer,
    private readonly origin: Origin,
  ) {}
  createWebSocket(): WebSocketLike {
    return new FakeSocket(this.server);
  }
  createPeerConnection(): PeerConnectionLike {
    return new FakePeerConnection(this);
  }
  get fetch(): FetchLike {
    return this.origin.fetch;
  }
  sha256 = subtleSha256(webcrypto.subtle as never);
  now(): number {
    return Date.now() + this.skewMs;
  }
  random(): number {
    return Math.random();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return setTimeout(fn, ms);
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}

/** Polls a condition on the event loop (no fixed sleep decides the outcome). */
export { until } from '../../support/until';
