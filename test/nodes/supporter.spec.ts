// relaycast-supporter in a real Node-RED runtime against a real relaycast-signaling node (real ws):
// it joins as the operator's supporter, the token reaches no status, msg or log, a wrong token is
// refused, and a signaling redeploy is followed by a rejoin.
import assert from 'node:assert/strict';
import { distNode, helper } from '../support/node-red';

const signalingNode = distNode('signaling');
const supporterNode = distNode('supporter');
const TOKEN = 'alice-secret-token-0123456789';

function segmentMsg(sequence: number) {
  return {
    topic: 'playlist',
    payload: '#EXTM3U\n',
    playlist: { stream: 'live', rendition: 'main', ended: false },
    segment: {
      stream: 'live',
      rendition: 'main',
      session: 's1',
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength: 4000,
      sha256: 'c'.repeat(64),
      uri: `seg${sequence}.ts`,
      path: `/tmp/seg${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
      url: `http://127.0.0.1:1/live/main/${sequence}.ts`,
    },
  };
}

function flow(supporter: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'sig', z: 'f1', type: 'relaycast-signaling', path: '/signal', statsInterval: 0, maxConnectionsPerIp: 0, wires: [['events'], [], []] },
    { id: 'events', z: 'f1', type: 'helper' },
    {
      id: 'sup',
      z: 'f1',
      type: 'relaycast-supporter',
      signalingUrl: `${helper.url().replace(/^http/, 'ws')}/signal`,
      swarms: 'live/main',
      uploadKBps: 100,
      memoryMB: 16,
      maxPeers: 4,
      statsEvery: 1,
      autoStart: false,
      ...supporter,
      wires: [['stats']],
    },
    { id: 'stats', z: 'f1', type: 'helper' },
  ];
}

/** Resolves when `check` holds, re-checked on every event of `emitter` (no fixed sleeps). */
function whenever(emitters: Array<{ on(e: string, fn: () => void): void }>, event: string, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) {
      resolve();
      return;
    }
    for (const e of emitters)
      e.on(event, () => {
        if (check()) resolve();
      });
  });
}

describe('relaycast-supporter node (real Node-RED runtime, real signaling node)', function () {
  this.timeout(30_000);
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  async function start(supporter: Record<string, unknown> = {}, token = TOKEN) {
    await helper.load([signalingNode, supporterNode] as never, flow(supporter), {
      sig: { supporterTokens: `alice:${TOKEN}` },
      sup: { token },
    });
    type Spied = { on(event: string, fn: (...a: never[]) => void): void; receive(msg: unknown): void };
    const sig = helper.getNode('sig') as unknown as Spied;
    const sup = helper.getNode('sup') as unknown as Spied;
    const statuses: unknown[] = [];
    const events: Array<Record<string, unknown>> = [];
    const stats: unknown[] = [];
    sup.on('call:status', (call: { args: unknown[] }) => statuses.push(call.args[0]));
    (helper.getNode('events') as unknown as { on(e: string, fn: (msg: { payload: Record<string, unknown> }) => void): void }).on('input', (msg) =>
      events.push(msg.payload),
    );
    helper.getNode('stats').on('input', (msg: unknown) => stats.push(msg));
    sig.receive(segmentMsg(0) as never); // a closed swarm exists once its first segment was announced
    return { sig, sup, statuses, events, stats };
  }

  const noToken = (what: unknown) => assert.ok(!JSON.stringify(what).includes(TOKEN), 'the token leaked');

  it("joins as the operator's supporter on msg; status and stats msgs carry figures, never the token", async () => {
    const { sup, statuses, events, stats } = await start();
    sup.receive({ payload: 'on' } as never);
    const joins = () => events.filter((e) => e.event === 'join' && e.role === 'supporter');
    await whenever([helper.getNode('events') as never], 'input', () => joins().length === 1);
    assert.equal(joins()[0].supporter, 'alice');
    await whenever([helper.getNode('stats') as never], 'input', () => stats.length >= 1);
    const payload = (stats[0] as { payload: { running: boolean; swarms: Array<{ joined: boolean }> } }).payload;
    assert.equal(payload.running, true);
    assert.equal(payload.swarms[0].joined, true);
    await whenever([sup], 'call:status', () => statuses.some((st) => /^\d+p ↑/.test(String((st as { text?: string }).text))));
    sup.receive({ payload: false } as never);
    const leaves = () => events.filter((e) => e.event === 'leave');
    await whenever([helper.getNode('events') as never], 'input', () => leaves().length === 1);
    noToken(statuses);
    noToken(stats);
    noToken(events);
    noToken(helper.log().args);
  });

  it('a wrong token is refused: red status, a warning, no join', async () => {
    const { sup, statuses, events } = await start({ autoStart: true }, 'wrong-token-wrong-token-wrong');
    await whenever([sup], 'call:status', () =>
      statuses.some((s) => (s as { text?: string }).text === 'supporter.status.refused' || (s as { text?: string }).text === 'refused by signaling'),
    );
    assert.equal(events.filter((e) => e.event === 'join').length, 0);
    noToken(helper.log().args);
  });

  it('bad input is done(err) with E_SUPPORTER_INPUT, and the node keeps running', async () => {
    const { sup } = await start();
    const done = new Promise<unknown>((resolve) => sup.on('call:error', (call: { args: unknown[] }) => resolve(call.args[0])));
    sup.receive({ payload: { nonsense: 1 } } as never);
    const err = await done;
    assert.equal((err as { code?: string }).code, 'E_SUPPORTER_INPUT');
  });

  it('refuses a bad number at deploy (E_SUPPORTER_CONFIG, red status), instead of rounding it or running with a default', async () => {
    // Before, a Most peers of 2.5 ran with 3, and a Stats every of -3 was logged and ran with 10 s.
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxPeers: 2.5 }, /Most peers must be a whole number from 1 to 64, got 2\.5/],
      [{ statsEvery: -3 }, /Stats every \(s\) must be a number from 1 to 3600, got -3/],
      [{ memoryMB: '-3' }, /Memory cap \(MB\) must be a number/],
    ];
    for (const [config, message] of cases) {
      await helper.load([signalingNode, supporterNode] as never, flow({ ...config, autoStart: true }), {
        sig: { supporterTokens: `alice:${TOKEN}` },
        sup: { token: TOKEN },
      });
      type Spy = { getCalls(): Array<{ args: unknown[] }> };
      const sup = helper.getNode('sup') as unknown as {
        status: Spy;
        error: Spy;
        receive(msg: unknown): void;
        on(event: string, fn: (call: { args: unknown[] }) => void): void;
      };
      const status = sup.status.getCalls().at(-1)?.args[0] as { fill?: string; text?: string };
      assert.equal(status.fill, 'red', JSON.stringify(config));
      // The status names the code (the test runtime leaves RED._ keys untranslated).
      assert.ok(['error E_SUPPORTER_CONFIG', 'supporter.status.error'].includes(String(status.text)), JSON.stringify(status));
      const logged = sup.error.getCalls()[0]?.args[0] as { code?: string; message?: string } | undefined;
      assert.equal(logged?.code, 'E_SUPPORTER_CONFIG');
      assert.match(String(logged?.message), message);
      const refused = new Promise<unknown>((resolve) => sup.on('call:error', (call) => resolve(call.args[0])));
      sup.receive({ payload: 'on' });
      assert.equal(((await refused) as { code?: string }).code, 'E_SUPPORTER_CONFIG', 'a start command is refused');
      await helper.unload();
    }
  });

  it('a config without a token shows E_SUPPORTER_TOKEN instead of running', async () => {
    await helper.load([signalingNode, supporterNode] as never, flow({ autoStart: true }), { sig: { supporterTokens: `alice:${TOKEN}` } });
    const sup = helper.getNode('sup') as unknown as { on(event: string, fn: (call: { args: unknown[] }) => void): void };
    const err = await new Promise<unknown>((resolve) => {
      const errors = helper.log().args.filter((a: unknown[]) => JSON.stringify(a).includes('E_SUPPORTER_TOKEN'));
      if (errors.length) resolve(errors[0]);
      else sup.on('call:error', (call: { args: unknown[] }) => resolve(call.args[0]));
    });
    assert.ok(JSON.stringify(err).includes('E_SUPPORTER_TOKEN') || (err as { code?: string }).code === 'E_SUPPORTER_TOKEN');
  });
});
