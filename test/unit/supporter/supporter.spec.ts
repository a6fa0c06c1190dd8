// The supporter over the real peer engine, a real in-process signaling coordinator (with a
// supporter token list) and fake RTCPeerConnections: it is named fetcher, fetches and verifies
// each segment over HTTP, serves viewers, splits its caps, and a wrong token is refused.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PeerEngine } from '../../../lib/peer/engine';
import { parseSupporterTokens, tokenListVerifier } from '../../../lib/signaling/supporters';
import { SignalingCoordinator } from '../../../lib/signaling/coordinator';
import { parseSettings } from '../../../lib/supporter/config';
import { Supporter } from '../../../lib/supporter/supporter';
import { FakePlatform, FakeSignalingServer, Origin, until } from '../peer/fakes';

const TOKEN = 'friend-token-0123456789abcdef';

class SupporterServer extends FakeSignalingServer {
  override newCoordinator(): SignalingCoordinator {
    return new SignalingCoordinator({
      limits: { openSwarms: false, maxConnectionsPerIp: 0, statsIntervalMs: 1000 },
      verifySupporter: tokenListVerifier(parseSupporterTokens(`alice:${TOKEN}`)),
      onReceipt: (r) => this.receipts.push(r),
      onAudit: (a) => this.audit.push(a as unknown as Record<string, unknown>),
    });
  }
}

function segment(origin: Origin, sequence: number, size = 150_000) {
  const bytes = randomBytes(size);
  const url = `https://r2.example/live/main/${sequence}.ts`;
  origin.objects.set(url, new Uint8Array(bytes));
  return { stream: 'live', rendition: 'main', sequence, url, size, sha256: createHash('sha256').update(bytes).digest('hex'), duration: 2 };
}

describe('supporter (lib/supporter) over the peer engine', function () {
  this.timeout(15_000);
  let server: SupporterServer;
  let origin: Origin;
  const closers: Array<() => void> = [];
  const loopbackOnly = (c: string) => / 127\.0\.0\.1 /.test(c);

  beforeEach(() => {
    server = new SupporterServer();
    origin = new Origin();
    server.coordinator.announce(segment(origin, 0)); // the swarm exists once a segment was announced
  });
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  function supporter(token = TOKEN, raw: Record<string, unknown> = {}) {
    const s = new Supporter({
      platform: new FakePlatform(server, origin),
      token,
      engine: { candidateFilter: loopbackOnly },
      settings: parseSettings({ signalingUrl: 'ws://test/signal', swarms: 'live/main', ...raw }),
    });
    closers.push(() => s.close());
    return s;
  }

  it('fetches each new segment first, over HTTP, verifies it and serves it to a viewer', async () => {
    const s = supporter();
    s.start();
    await until(() => s.stats().swarms[0].joined, 'supporter joined');
    const viewer = new PeerEngine(new FakePlatform(server, origin), {
      signalingUrl: 'ws://test/signal',
      stream: 'live',
      rendition: 'main',
      candidateFilter: loopbackOnly,
    });
    closers.push(() => viewer.close());
    viewer.start();
    await until(() => viewer.joined && s.stats().peers === 1, 'viewer linked to the supporter');
    const s1 = segment(origin, 1);
    server.coordinator.announce(s1);
    await until(() => viewer.store.has(1), 'viewer holds segment 1');
    assert.equal(origin.segmentRequests(s1.url), 1, 'one origin request for the segment');
    assert.equal(s.stats().fetchedBytes, s1.size, 'the supporter fetched it');
    await until(() => s.stats().uploadedBytes === s1.size, 'the supporter uploaded it whole');
    assert.equal(viewer.stats().p2pBytes, s1.size, 'the viewer got every byte from the supporter');
    await until(() => server.receipts.length === 1, 'a receipt');
    const receipt = server.receipts[0] as { bytes: number; uploader: { role: string; supporter?: string } };
    assert.equal(receipt.bytes, s1.size);
    assert.deepEqual([receipt.uploader.role, receipt.uploader.supporter], ['supporter', 'alice']);
  });

  it('keeps only the live window within its memory cap while it fetches every new segment', async () => {
    const s = supporter(TOKEN, { memoryMB: 8 });
    s.start();
    await until(() => s.stats().swarms[0].joined, 'supporter joined');
    const store = (s as unknown as { engines: Array<{ engine: PeerEngine }> }).engines[0].engine.store;
    let most = 0;
    for (let sequence = 1; sequence <= 30; sequence++) {
      server.coordinator.announce(segment(origin, sequence, 1_000_000));
      await until(() => s.stats().swarms[0].segments === sequence, `segment ${sequence} fetched`);
      most = Math.max(most, store.bytesHeld());
    }
    assert.equal(s.stats().fetchedBytes, 30 * 1_000_000, 'it fetched all 30 segments');
    assert.ok(most <= 8 * 1024 * 1024, `held at most ${most} bytes (cap 8 MiB)`);
    assert.ok(store.has(30) && !store.has(1), 'the newest segment is held, the oldest dropped');
  });

  it('a wrong token is refused (E_SIGNAL_UNAUTHORIZED) and never joins', async () => {
    const s = supporter('not-the-token-at-all-xxxxxxxx');
    const refused: string[] = [];
    s.on('refused', (code) => refused.push(code));
    s.start();
    await until(() => refused.length > 0, 'refusal');
    assert.equal(refused[0], 'E_SIGNAL_UNAUTHORIZED');
    assert.equal(s.stats().refused, 'E_SIGNAL_UNAUTHORIZED');
    assert.equal(s.stats().swarms[0].joined, false);
  });

  it('off leaves every swarm; figures never go backwards across off and on', async () => {
    const s = supporter();
    s.start();
    await until(() => s.stats().swarms[0].joined, 'joined');
    server.coordinator.announce(segment(origin, 1));
    await until(() => s.stats().fetchedBytes > 0, 'fetched');
    const before = s.stats().fetchedBytes;
    s.stop();
    assert.equal(s.stats().running, false);
    await until(() => [...server.sockets].every((sock) => sock.readyState === 3), 'socket closed');
    s.start();
    assert.ok(s.stats().fetchedBytes >= before);
  });

  it('splits the upload and memory caps across its swarms (their sum stays within the caps)', () => {
    const settings = parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/1,a/2,a/3', uploadKBps: 100, memoryMB: 30 });
    const made: Array<{ up: number; store: number }> = [];
    const s = new Supporter({ platform: new FakePlatform(server, origin), token: TOKEN, settings });
    closers.push(() => s.close());
    s.start();
    for (const w of (
      s as unknown as { engines: Array<{ engine: { uploads: { policy: { bytesPerSecond: number } }; store: { limits: { maxBytes: number } } } }> }
    ).engines) {
      made.push({ up: w.engine.uploads.policy.bytesPerSecond, store: w.engine.store.limits.maxBytes });
    }
    assert.equal(made.length, 3);
    assert.ok(made.reduce((a, m) => a + m.up, 0) <= 100_000);
    assert.ok(made.reduce((a, m) => a + m.store, 0) <= 30 * 1024 * 1024);
    assert.ok(
      made.every((m) => m.up > 0),
      'a capped supporter never becomes uncapped per swarm',
    );
  });
});
