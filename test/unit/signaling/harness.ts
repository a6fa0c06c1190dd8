// A coordinator with a fake clock and in-memory transports, for driving the core without sockets.
import {
  SignalingCoordinator,
  type AuditEvent,
  type CoordinatorOptions,
  type Session,
  type SwarmEvent,
  type Transport,
} from '../../../lib/signaling/coordinator';
import type { ReceiptPayload, SegmentAnnouncement } from '../../../lib/signaling/protocol';
import { seededRandom } from '../../../devtools/fault-proxy/seeded-random';
import assert from 'node:assert/strict';
import { applyPlaylistEdits, type PlaylistDeltaFrame } from '../../../lib/protocol';
import { playlistDigest } from '../../../lib/signaling/playlist-delta';

export class FakeTransport implements Transport {
  readonly frames: Array<Record<string, unknown>> = [];
  /** Every frame's text as sent (its bytes on the wire). */
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  pings = 0;
  buffered = 0;
  send(text: string): void {
    this.sent.push(text);
    this.frames.push(JSON.parse(text));
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  ping(): void {
    this.pings++;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  last(): Record<string, unknown> {
    return this.frames[this.frames.length - 1];
  }
  take(): Array<Record<string, unknown>> {
    this.sent.length = 0;
    return this.frames.splice(0);
  }
}

/** Deterministic PRNG so selection tests repeat exactly (the fault proxy's own). */
export const seeded = seededRandom;

export interface Client {
  t: FakeTransport;
  s: Session;
  id: string;
}

export function harness(options: Partial<CoordinatorOptions> = {}) {
  let clock = 1_000_000;
  const swarm: SwarmEvent[] = [];
  const receipts: ReceiptPayload[] = [];
  const audit: AuditEvent[] = [];
  const c = new SignalingCoordinator({
    now: () => clock,
    random: seeded(42),
    onSwarmEvent: (e) => swarm.push(e),
    onReceipt: (r) => receipts.push(r),
    onAudit: (a) => audit.push(a),
    ...options,
    // Most specs here check linking with two peers: a swarm of two links unless a spec says otherwise.
    // The bounds on address exposure (K neighbours, networks met per hour) are exposure.spec.ts's:
    // specs of other rules introduce as before unless they set them.
    limits: { minSwarmForLinks: 2, maxNeighbours: 64, neighboursPerNetwork: 64, exposureNetworks: 1_000_000, ...options.limits },
  });
  // Each connection comes from its own address, in its own /24, unless a test names one: one source
  // and one network per client is what a real swarm looks like; receipts are deduplicated per source,
  // and joins and introductions are budgeted per network.
  let connections = 0;
  const nextIp = (): string => {
    connections++;
    return `10.${connections >> 8}.${connections & 255}.1`;
  };
  const connect = (ip = nextIp()): { t: FakeTransport; s: Session } => {
    const t = new FakeTransport();
    return { t, s: c.connect(t, ip) };
  };
  const send = (client: { s: Session }, msg: unknown): void => c.message(client.s, JSON.stringify(msg), false);
  const join = (stream = 'live', rendition = '720p', ip = nextIp()): Client => {
    const { t, s } = connect(ip);
    send({ s }, { type: 'join', v: 4, stream, rendition, role: 'viewer' });
    const welcome = t.frames.find((f) => f.type === 'welcome');
    if (!welcome) throw new Error(`join failed: ${JSON.stringify(t.frames)}`);
    t.take();
    return { t, s, id: welcome.peer as string };
  };
  const announce = (sequence: number, stream = 'live', rendition = '720p', size = 1000): SegmentAnnouncement => {
    const a: SegmentAnnouncement = {
      stream,
      rendition,
      sequence,
      url: `https://cdn.example/${stream}/${rendition}/${sequence}.ts`,
      size,
      sha256: sequence.toString(16).padStart(64, '0'),
      duration: 2,
    };
    c.announce(a);
    return a;
  };
  /** A relayed offer from `offerer` and its answer: the two may now file receipts for each other. */
  const negotiate = (offerer: Client, answerer: Client, offerId = `o-${offerer.id}-${answerer.id}`): void => {
    send(offerer, { type: 'offer', to: answerer.id, offerId, sdp: 'v=0 offer' });
    send(answerer, { type: 'answer', to: offerer.id, offerId, sdp: 'v=0 answer' });
    offerer.t.take();
    answerer.t.take();
  };
  /** Both sides of one delivery: the uploader's served claim, then the downloader's receipt. */
  const deliver = (uploader: Client, downloader: Client, sequence: number, bytes: number, served = bytes): void => {
    send(uploader, { type: 'served', sequence, to: downloader.id, bytes: served });
    send(downloader, { type: 'receipt', sequence, from: uploader.id, bytes });
  };
  return {
    c,
    swarm,
    receipts,
    audit,
    connect,
    send,
    join,
    announce,
    negotiate,
    deliver,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

/** A playlist copy as a viewer holds it: what the welcome, a `playlist` or a resync gave, or a delta made. */
export interface HeldCopy {
  rendition: string | null;
  text: string;
  version?: number;
}

/**
 * A viewer's playlist copies, kept from the frames a FakeTransport took, the way the peer engine
 * keeps them (lib/peer/playlist-receiver.ts), but checked strictly: a delta must name the version
 * held and its result must match its digest, or the spec fails.
 */
export class HeldCopies {
  private readonly copies = new Map<string | null, HeldCopy>();

  constructor(initial: HeldCopy[] = []) {
    this.takeAll(initial);
  }

  takeAll(copies: HeldCopy[]): void {
    for (const c of copies) this.copies.set(c.rendition, { rendition: c.rendition, text: c.text, version: c.version });
  }

  take(frame: Record<string, unknown>): void {
    if (frame.type === 'playlist') return this.takeAll([frame as unknown as HeldCopy]);
    assert.equal(frame.type, 'playlist-delta', `a playlist frame, not ${String(frame.type)}`);
    const delta = frame as unknown as PlaylistDeltaFrame;
    const held = this.copies.get(delta.rendition);
    assert.ok(held, `a delta of ${String(delta.rendition)} for a viewer that holds none`);
    assert.equal(delta.from, held.version, 'the delta edits the version the viewer holds');
    const text = applyPlaylistEdits(held.text, delta.edits);
    assert.ok(text !== undefined, 'the edits fit the version held');
    assert.equal(playlistDigest(text), delta.digest, "the result matches the delta's digest");
    this.copies.set(delta.rendition, { rendition: delta.rendition, text, version: delta.version });
  }

  text(rendition: string | null): string | undefined {
    return this.copies.get(rendition)?.text;
  }
}
