// PayoutDesk (lib/payout/index.ts) without Node-RED, on a real SQLite ledger: what each topic does,
// what comes back to send (a reply, an audit event), and the queries the node's routes answer.
import assert from 'node:assert/strict';
import { PayoutDesk, type PayoutOutcome } from '../../../lib/payout';
import { DEFAULT_RULES, type RuleSettings } from '../../../lib/payout/rules';
import { receipt, SHA, sqliteBackend, tempLedgers, type TempLedger } from './fixtures';

/** A receipt as a msg payload carries it (receivedAt as ISO 8601 text). */
function payload(overrides: Parameters<typeof receipt>[0] = {}): Record<string, unknown> {
  return { ...receipt(overrides), receivedAt: new Date(1_700_000_000_000).toISOString() };
}

describe('PayoutDesk (topic routing and queries over one ledger)', () => {
  const tempLedger = tempLedgers(sqliteBackend);
  let t: TempLedger;
  let desk: PayoutDesk;
  const open = (rules: Partial<RuleSettings> = {}): PayoutDesk => {
    t = tempLedger(rules);
    desk = new PayoutDesk(t.ledger, { ...DEFAULT_RULES, ...rules });
    return desk;
  };
  afterEach(() => t.dispose());

  const settle = (period: string): Promise<PayoutOutcome> => desk.handle({ topic: 'settle', payload: { period, pool: { amount: 100, currency: 'EUR' } } });

  it('credits a receipt (no reply, no audit), and audits a refused one with its code', async () => {
    open();
    const first = payload();
    assert.deepEqual(await desk.handle({ topic: 'receipt', payload: first }), { changed: true });
    const again = await desk.handle({ topic: 'receipt', payload: first });
    assert.equal(again.reply, undefined);
    assert.deepEqual([again.audit?.kind, again.audit?.code, again.audit?.receipt], ['receipt', 'DUPLICATE', first]);
  });

  it('says once per start that receipts come without network tags', async () => {
    open();
    const untagged = () => payload({ uploader: { network: undefined }, downloader: { network: undefined } });
    const first = await desk.handle({ topic: 'receipt', payload: untagged() });
    assert.deepEqual([first.audit?.kind, first.audit?.code], ['notice', 'UNTAGGED']);
    assert.equal((await desk.handle({ topic: 'receipt', payload: untagged() })).audit, undefined);
  });

  it('settles a period into a statement reply, and a second settle of it is a replay', async () => {
    open();
    await desk.handle({ topic: 'receipt', payload: payload() });
    const first = await settle('p1');
    assert.deepEqual([first.reply?.topic, first.reply?.extra, first.changed], ['statement', { replayed: false }, true]);
    assert.deepEqual((await settle('p1')).reply?.extra, { replayed: true });
  });

  it('answers balance (all, or one supporter), statement (needs a settled period) and export (CSV, one period or all)', async () => {
    open();
    await desk.handle({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-A' } });
    await desk.handle({ topic: 'receipt', payload: payload() });
    await settle('p1');
    const all = await desk.handle({ topic: 'balance' });
    assert.deepEqual([all.reply?.topic, (all.reply?.payload as unknown[]).length, all.changed], ['balance', 1, false]);
    assert.deepEqual((await desk.handle({ topic: 'balance', payload: { supporter: 'bob' } })).reply?.payload, []);
    await assert.rejects(desk.handle({ topic: 'statement', payload: {} }), { code: 'E_PAYOUT_INPUT' });
    await assert.rejects(desk.handle({ topic: 'statement', payload: { period: 'p9' } }), { code: 'E_PAYOUT_UNKNOWN_PERIOD' });
    assert.deepEqual((await desk.handle({ topic: 'statement', payload: { period: 'p1' } })).reply?.extra, { replayed: true });
    const csv = await desk.handle({ topic: 'export', payload: { period: 'p1' } });
    assert.deepEqual(csv.reply?.extra, { filename: 'relaycast-payout-p1.csv' });
    assert.match(String(csv.reply?.payload), /alice/);
    assert.deepEqual((await desk.handle({ topic: 'export' })).reply?.extra, { filename: 'relaycast-payout-all.csv' });
    await assert.rejects(desk.handle({ topic: 'export', payload: { period: 'p9' } }), { code: 'E_PAYOUT_UNKNOWN_PERIOD' });
  });

  it('refuses an unknown topic (prototype names too) with E_PAYOUT_INPUT', async () => {
    open();
    for (const topic of ['weather', 'toString', undefined]) {
      await assert.rejects(desk.handle({ topic, payload: {} }), { code: 'E_PAYOUT_INPUT' }, String(topic));
    }
  });

  it('records a published segment only under the published-segment rule; otherwise lets it pass', async () => {
    const segmentMsg = { topic: 'segment', segment: { stream: 'live', rendition: '720p', sequence: 1, byteLength: 1000, sha256: SHA } };
    for (const segments of ['signaling', 'published'] as const) {
      open({ segments });
      const published: unknown[] = [];
      const publish = t.ledger.publish.bind(t.ledger);
      t.ledger.publish = (segment) => {
        published.push(segment);
        return publish(segment);
      };
      assert.deepEqual(await desk.handle(segmentMsg), { changed: false });
      assert.equal(published.length, segments === 'published' ? 1 : 0, segments);
      await t.dispose();
    }
    open(); // afterEach disposes it
  });

  it('gives the operator every account with its address, and a supporter only their own figures (zeros when unknown)', async () => {
    open();
    await desk.handle({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-A' } });
    await desk.handle({ topic: 'receipt', payload: payload() });
    const view = await desk.operatorView();
    assert.deepEqual(
      view.accounts.map((a) => [a.supporter, a.address]),
      [['alice', 'IBAN-A']],
    );
    const mine = await desk.summary('alice');
    assert.equal(mine.verifiedBytes, 1000);
    assert.ok(!JSON.stringify(mine).includes('IBAN'));
    assert.deepEqual(await desk.summary('nobody'), {
      supporter: 'nobody',
      name: 'nobody',
      currency: null,
      verifiedBytes: 0,
      unsettledBytes: 0,
      viewersHelped: 0,
      pending: 0,
      statements: [],
    });
  });
});
