// The peer's side reads server frames through the protocol's schema: a frame of the wrong shape is
// dropped before the engine sees it (the engine used to cast fields one by one, `String(frame.from)`).
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION } from '../../../lib/protocol';
import type { PeerPlatform, WebSocketLike } from '../../../lib/peer/platform';
import { SignalingClient } from '../../../lib/peer/signaling-client';

class ScriptedSocket implements WebSocketLike {
  readyState = 1;
  readonly sent: Array<Record<string, unknown>> = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason?: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

function started(options: { p2p?: boolean } = {}) {
  const socket = new ScriptedSocket();
  const platform = {
    createWebSocket: () => socket,
    now: () => 0,
    random: () => 0.5,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
  } as unknown as PeerPlatform;
  const client = new SignalingClient(platform, { url: 'ws://x', stream: 'live', rendition: '720p', ...options });
  const frames: Array<Record<string, unknown>> = [];
  const welcomes: unknown[] = [];
  client.on('frame', (f) => frames.push(f));
  client.on('welcome', (w) => welcomes.push(w));
  client.start();
  socket.onopen?.({});
  return { socket, client, frames, welcomes };
}

const PEER = 'AAAAAAAAAAAA';
const OTHER = 'BBBBBBBBBBBB';
const welcome = {
  type: 'welcome',
  v: PROTOCOL_VERSION,
  peer: PEER,
  stream: 'live',
  rendition: '720p',
  role: 'viewer',
  peers: [],
  iceServers: [],
  segments: [],
  playlists: [],
  heartbeatMs: 15000,
  limits: { maxMessageBytes: 16384, ratePerSecond: 20, burst: 100, statsIntervalMs: 5000 },
};
const segment = {
  type: 'segment',
  sequence: 3,
  rendition: '720p',
  url: 'https://cdn.example/3.ts',
  size: 10,
  sha256: 'a'.repeat(64),
  duration: 2,
  fetchers: [PEER],
};

describe('peer signaling client: server frames through the protocol schema', () => {
  it('joins with the protocol version and hands on well-formed frames', () => {
    const { socket, frames, welcomes, client } = started();
    assert.equal(socket.sent[0].v, PROTOCOL_VERSION);
    socket.receive(welcome);
    assert.equal(welcomes.length, 1);
    assert.equal(client.peerId, PEER);
    socket.receive(segment);
    socket.receive({ type: 'offer', from: OTHER, offerId: 'o1', sdp: 'v=0' });
    assert.deepEqual(
      frames.map((f) => f.type),
      ['segment', 'offer'],
    );
  });

  it('says p2p:false in its join when the viewer opted out, and nothing of it otherwise', () => {
    const optedOut = started({ p2p: false });
    assert.equal(optedOut.socket.sent[0].type, 'join');
    assert.equal(optedOut.socket.sent[0].p2p, false, 'the server must know, or it introduces the viewer');
    assert.equal('p2p' in started().socket.sent[0], false);
  });

  it('drops frames of the wrong shape instead of passing them on', () => {
    const { socket, frames, welcomes } = started();
    socket.receive({ ...welcome, peers: 'everyone' });
    assert.equal(welcomes.length, 0, 'a welcome without a peer list');
    socket.receive(welcome);
    socket.receive({ ...segment, sha256: 'not-a-hash' });
    socket.receive({ ...segment, fetchers: [42] });
    socket.receive({ type: 'offer', from: { toString: 'x' }, offerId: 'o1', sdp: 'v=0' });
    socket.receive({ type: 'peers', peers: [{ peer: 'short', role: 'viewer', latest: 1 }] });
    socket.receive({ type: 'playlist', rendition: '720p', text: 7, ended: false });
    socket.receive({ type: 'no-such-frame' });
    assert.deepEqual(frames, []);
  });
});
