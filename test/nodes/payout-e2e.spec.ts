// End to end in a real Node-RED: real ws clients join relaycast-signaling (supporters with their
// tokens), negotiate through it, deliver segments (served + receipt), and the receipts flow into
// relaycast-payout, whose settlement must match the bytes actually delivered by supporters.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { request } from '../support/http-request';
import { SignalClient, type Frame } from './signaling-client';

const signalingNode = distNode('signaling');
const payoutNode = distNode('payout');
const SHA = 'e'.repeat(64);
const SIZE = 4000;
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789xyz';

function segmentMsg(sequence: number) {
  return {
    topic: 'segment',
    payload: Buffer.from('x'),
    segment: {
      stream: 'live',
      rendition: '720p',
      session: 's1',
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength: SIZE,
      sha256: SHA,
      uri: `seg${sequence}.ts`,
      path: `/tmp/seg${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
      url: `https://media.example/live/720p/${sequence}.ts`,
    },
  };
}

/** Reads frames until one of `type` arrives (announcements and peer lists may come first). */
async function until(c: SignalClient, type: string): Promise<Frame> {
  for (;;) {
    const f = await c.next();
    if (f.type === type) return f;
    if (f.type === 'error') throw new Error(`server error while waiting for ${type}: ${JSON.stringify(f)}`);
  }
}

describe('signaling → payout end to end (real Node-RED, real ws clients)', function () {
  let dir: string;
  const clients: SignalClient[] = [];
  const completions: unknown[] = [];

  let web: HttpNodeServer;
  before(async () => {
    await helper.startServer();
    web = await startHttpNodeServer();
  });
  after(async () => {
    await helper.stopServer();
    await web.stop();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await helper.unload();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pays supporters exactly for the bytes they delivered to other viewers, and nothing for the rest', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-e2e-'));
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'sig',
        z: 'f1',
        type: 'relaycast-signaling',
        path: '/signal',
        statsInterval: 0,
        maxConnectionsPerIp: 0,
        viewerPath: '',
        wires: [[], ['pay'], ['sigAudit']],
      },
      // Every test client is on 127.0.0.1: with network tags (signaling hardening) both ends would
      // look like one network, so this test allows that, as the setting's help says for tests.
      {
        id: 'pay',
        z: 'f1',
        type: 'relaycast-payout',
        ledger: path.join(dir, 'ledger.sqlite'),
        sameNetwork: 'allow',
        signaling: 'sig',
        wires: [['out'], ['audit']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'audit', z: 'f1', type: 'helper' },
      { id: 'sigAudit', z: 'f1', type: 'helper' },
      { id: 'done', z: 'f1', type: 'complete', scope: ['pay'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'f1', type: 'helper' },
    ];
    await helper.load([signalingNode, web.capture(payoutNode)] as never, flow, { sig: { supporterTokens: `alice:${ALICE}\nbob:${BOB}` } });
    const audit: Array<{ code: string }> = [];
    helper.getNode('audit').on('input', (m: unknown) => audit.push((m as { payload: { code: string } }).payload));
    helper.getNode('completed').on('input', (m: unknown) => completions.push(m));
    const sig = helper.getNode('sig');
    const pay = helper.getNode('pay');
    sig.receive(segmentMsg(1)); // a swarm opens with its first announcement

    const url = `${helper.url().replace(/^http/, 'ws')}/signal`;
    const join = async (extra: Frame = {}) => {
      const c = new SignalClient(url);
      clients.push(c);
      await c.join('live', '720p', extra);
      return c;
    };
    const alice = await join({ role: 'supporter', token: ALICE });
    const bob = await join({ role: 'supporter', token: BOB });
    const v1 = await join();
    const v2 = await join();
    const v3 = await join();
    await pay.receive({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'alice@example.org' } });
    await pay.receive({ topic: 'supporter', payload: { id: 'bob', name: 'Bob', address: 'bob@example.org' } });
    for (let s = 2; s <= 7; s++) sig.receive(segmentMsg(s));
    for (const c of [alice, bob, v1, v2, v3]) await c.sync();

    let offers = 0;
    /** A DataChannel negotiated through the server, then `served` and the receiver's `receipt`. */
    async function deliver(from: SignalClient, to: SignalClient, sequence: number, served: number, received: number) {
      offers += 1;
      const offerId = `o${offers}`;
      from.send({ type: 'offer', to: to.id, offerId, sdp: `v=0 ${offerId}` });
      await until(to, 'offer');
      to.send({ type: 'answer', to: from.id, offerId, sdp: `v=0 answer ${offerId}` });
      await until(from, 'answer');
      from.send({ type: 'served', sequence, to: to.id, bytes: served });
      await from.sync(); // the claim reached the server before the receipt
      to.send({ type: 'receipt', sequence, from: from.id, bytes: received });
      return until(to, 'receipt-ack');
    }

    await deliver(alice, v1, 2, SIZE, SIZE); // alice earns 4000
    await deliver(alice, v2, 3, 3000, SIZE); // the smaller claim counts: 3000
    await deliver(v3, v1, 4, SIZE, SIZE); // a viewer uploading earns nothing
    await deliver(alice, bob, 5, SIZE, SIZE); // alice earns 4000; bob's download earns bob nothing
    await deliver(bob, v1, 6, 2000, 2000); // bob earns 2000
    // Cheats signaling itself refuses, so they never reach payout: an unknown segment, a replay.
    v2.send({ type: 'receipt', sequence: 99, from: alice.id, bytes: SIZE });
    v1.send({ type: 'receipt', sequence: 2, from: alice.id, bytes: SIZE });
    await v1.sync();
    await v2.sync();

    // Five credited receipts left signaling; wait until payout has committed all of them.
    while (completions.length < 7) await new Promise((r) => helper.getNode('completed').once('input', r));
    assert.deepEqual(
      audit.map((a) => a.code).filter((c) => c !== 'UNTAGGED'),
      ['NOT_SUPPORTER'],
    );

    const statement = new Promise<{ payload: { lines: Array<Record<string, unknown>>; totals: Record<string, number> } }>((r) =>
      helper.getNode('out').once('input', r),
    );
    pay.receive({ topic: 'settle', payload: { period: 'e2e', pool: { amount: 1300, currency: 'EUR' } } });
    const { payload } = await statement;
    assert.deepEqual(
      payload.lines.map((l) => [l.supporter, l.bytes, l.earned, l.paid, l.address]),
      [
        ['alice', 11000, 1100, 1100, 'alice@example.org'],
        ['bob', 2000, 200, 200, 'bob@example.org'],
      ],
    );
    assert.equal(payload.totals.paid, 1300);

    // Alice reads her own summary with the token signaling knows her by.
    const me = await request(web.base, '/relaycast/payout/me', { headers: { Authorization: `Bearer ${ALICE}` } });
    assert.equal(me.status, 200);
    const summary = JSON.parse(me.body.toString()) as { supporter: string; verifiedBytes: number; statements: Array<{ paid: number }> };
    assert.deepEqual([summary.supporter, summary.verifiedBytes, summary.statements[0]?.paid], ['alice', 11000, 1100]);
    assert.doesNotMatch(me.body.toString(), /bob|example\.org/);
  });
});
