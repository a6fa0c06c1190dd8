import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { nextMsg, payoutFlow, sendToPayout } from '../support/payout-flow';
import { request } from '../support/http-request';

async function httpRequest(url: string, options: { headers?: Record<string, string> } = {}) {
  const res = await request(url, '', options);
  return { status: res.status, body: res.body.toString('utf8') };
}

const payoutNode = distNode('payout');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openSqlite } = require('../../dist/lib/payout/sqlite-driver.js') as typeof import('../../lib/payout/sqlite-driver');

const SHA = 'd'.repeat(64);
const TOKEN = 'alice-token-0123456789';
let n = 0;
function receipt(extra: Record<string, unknown> = {}) {
  n += 1;
  return {
    id: `live/720p/${n}/viewer${n}`,
    stream: 'live',
    rendition: '720p',
    sequence: n,
    sha256: SHA,
    segmentSize: 4000,
    bytes: 4000,
    uploader: { peer: 'aliceSupport', role: 'supporter', supporter: 'alice' },
    downloader: { peer: `viewer${String(n).padStart(6, '0')}`, role: 'viewer' },
    receivedAt: new Date(1_700_000_000_000).toISOString(),
    ...extra,
  };
}

describe('relaycast-payout node (real Node-RED runtime)', function () {
  let dir: string;
  let ledgerFile: string;
  const flow = (config: Record<string, unknown> = {}) => payoutFlow({ ledger: ledgerFile, threshold: 0, ...config });
  const next = nextMsg;

  let web: HttpNodeServer;
  let payoutWithHttp: unknown;
  before(async () => {
    await helper.startServer();
    web = await startHttpNodeServer();
    payoutWithHttp = web.capture(payoutNode);
  });
  after(async () => {
    await helper.stopServer();
    await web.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-node-'));
    ledgerFile = path.join(dir, 'ledger.sqlite');
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = sendToPayout;

  it('completes a receipt msg only once it is in the ledger file, and settles a period exactly, once', async () => {
    await helper.load(payoutNode as never, flow());
    await send({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-A' } });
    const r = receipt();
    await send({ topic: 'receipt', payload: r });
    const db = openSqlite(ledgerFile);
    try {
      assert.equal(db.prepare('SELECT credited FROM receipts WHERE id = ?').get(r.id)?.credited, 4000, 'committed before done()');
    } finally {
      db.close();
    }

    const statement = next('out');
    helper.getNode('pay').receive({ topic: 'settle', payload: { period: '2026-11', pool: { amount: 1000, currency: 'EUR' } } });
    const s = await statement;
    assert.equal(s.topic, 'statement');
    assert.equal(s.replayed, false);
    const payload = s.payload as { lines: Array<{ supporter: string; paid: number; address: string }>; totals: { paid: number } };
    assert.deepEqual(
      payload.lines.map((l) => [l.supporter, l.paid, l.address]),
      [['alice', 1000, 'IBAN-A']],
    );

    const again = next('out');
    helper.getNode('pay').receive({ topic: 'settle', payload: { period: '2026-11', pool: { amount: 1000, currency: 'EUR' } } });
    const replay = await again;
    assert.equal(replay.replayed, true);
    assert.deepEqual(replay.payload, s.payload);

    const csv = next('out');
    helper.getNode('pay').receive({ topic: 'export', payload: {} });
    const exported = await csv;
    assert.equal(exported.filename, 'relaycast-payout-all.csv');
    assert.match(String(exported.payload), /^period,currency,supporter,.*\r\n2026-11,EUR,alice,Alice,IBAN-A,4000,1,0,1000,0,1000,0,\r\n$/s);
  });

  it('takes a master playlist msg from manifest (no segment) quietly: a valid playlist msg is no bad input', async () => {
    await helper.load(payoutNode as never, flow());
    const caught = next('caught');
    helper.getNode('pay').receive({ topic: 'playlist', payload: '#EXTM3U\n', playlist: { stream: 'live', rendition: null, ended: false } });
    helper.getNode('pay').receive({ topic: 'nonsense' });
    const error = (await caught).error;
    assert.equal(error?.code, 'E_PAYOUT_INPUT');
    assert.match(error?.message ?? '', /'nonsense'/, "the first error is the nonsense msg's, not the playlist's");
  });

  it('sends refused receipts to the audit output with their reason, and bad input to Catch with a code', async () => {
    await helper.load(payoutNode as never, flow());
    const r = receipt({ uploader: { peer: 'someViewer00', role: 'viewer' } });
    const audit = next('audit');
    helper.getNode('pay').receive({ topic: 'receipt', payload: r });
    const a = await audit;
    assert.deepEqual({ ...(a.payload as object), reason: undefined }, { kind: 'receipt', code: 'NOT_SUPPORTER', reason: undefined, receipt: r });

    const caught = next('caught');
    helper.getNode('pay').receive({ topic: 'receipt', payload: { ...receipt(), bytes: -1 } });
    assert.equal((await caught).error?.code, 'E_PAYOUT_RECEIPT');
    const caught2 = next('caught');
    helper.getNode('pay').receive({ topic: 'settle', payload: { period: 'x', pool: { amount: 1.5, currency: 'EUR' } } });
    assert.equal((await caught2).error?.code, 'E_PAYOUT_SETTLE');
    const caught3 = next('caught');
    helper.getNode('pay').receive({ topic: 'supporter', payload: { id: 'alice', token: 'alice-token-0123456789' } });
    const err = (await caught3).error;
    assert.equal(err?.code, 'E_PAYOUT_SUPPORTER');
    assert.doesNotMatch(err?.message ?? '', /alice-token/, 'a token is never echoed');
    const caught4 = next('caught');
    helper.getNode('pay').receive({ topic: 'nonsense' });
    assert.equal((await caught4).error?.code, 'E_PAYOUT_INPUT');
  });

  it('keeps the ledger across a redeploy: the statement survives and a replayed receipt stays a replay', async () => {
    await helper.load(payoutNode as never, flow());
    const r = receipt();
    await send({ topic: 'receipt', payload: r });
    await send({ topic: 'settle', payload: { period: 'p1', pool: { amount: 7, currency: 'EUR' } } });
    await helper.unload();
    await helper.load(payoutNode as never, flow());
    const audit = next('audit');
    helper.getNode('pay').receive({ topic: 'receipt', payload: r });
    assert.equal(((await audit).payload as { code: string }).code, 'DUPLICATE');
    const out = next('out');
    helper.getNode('pay').receive({ topic: 'statement', payload: { period: 'p1' } });
    // No supporter record, so no payout address: the 7 units are held for the next period, not lost.
    const { totals, lines } = (await out).payload as { totals: { earned: number; paid: number; carriedOut: number }; lines: Array<{ held?: string }> };
    assert.deepEqual([totals.earned, totals.paid, totals.carriedOut, lines[0]?.held], [7, 0, 7, 'no-address']);
  });

  it('refuses a second node on the same ledger file with a code, and reports it in the status', async () => {
    await helper.load(payoutNode as never, [...flow(), { id: 'pay2', z: 'f1', type: 'relaycast-payout', ledger: ledgerFile, wires: [[], []] }] as never);
    const caught = next('caught');
    helper.getNode('pay2').receive({ topic: 'balance' });
    const e = (await caught).error;
    assert.equal(e?.code, 'E_PAYOUT_CONFIG');
    assert.match(e?.message ?? '', /already uses the ledger/);
  });

  it('refuses a bad number in its config at deploy (E_PAYOUT_CONFIG, red status), as its editor does, before opening the ledger', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ threshold: -3 }, /Threshold must be a whole number from 0 to 9007199254740991, got -3/],
      [{ batchMs: 2.5 }, /Group commit \(ms\) must be a whole number from 0 to 1000, got 2\.5/],
      [{ batchMs: '1001' }, /Group commit \(ms\)/],
    ];
    for (const [config, message] of cases) {
      await helper.load(payoutNode as never, flow(config));
      const pay = helper.getNode('pay') as unknown as { status: { getCalls(): Array<{ args: unknown[] }> } };
      assert.deepEqual(pay.status.getCalls().at(-1)?.args[0], { fill: 'red', shape: 'ring', text: 'payout.status.config' }, JSON.stringify(config));
      const caught = next('caught');
      helper.getNode('pay').receive({ topic: 'balance' });
      const e = (await caught).error;
      assert.equal(e?.code, 'E_PAYOUT_CONFIG');
      assert.match(e?.message ?? '', message);
      // Before, the ledger file was opened first and left open when the number was refused.
      assert.equal(existsSync(ledgerFile), false, 'no ledger file');
      await helper.unload();
    }
  });

  it('serves each supporter their own summary with their token, and the operator everything on the admin route', async () => {
    const creds = { pay: { supporterTokens: `alice:${TOKEN}\nbob:bob-token-0123456789ab` } };
    await helper.load(payoutWithHttp as never, flow(), creds);
    await send({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-SECRET-A' } });
    await send({ topic: 'supporter', payload: { id: 'bob', name: 'Bob', address: 'IBAN-SECRET-B' } });
    await send({ topic: 'receipt', payload: receipt() });
    await send({ topic: 'receipt', payload: receipt({ uploader: { peer: 'bobSupporter', role: 'supporter', supporter: 'bob' } }) });
    const url = `${web.base}/relaycast/payout/me`;

    const anonymous = await httpRequest(url);
    assert.equal(anonymous.status, 401);
    const wrong = await httpRequest(url, { headers: { Authorization: 'Bearer not-a-real-token-at-all' } });
    assert.equal(wrong.status, 401);
    const mine = await httpRequest(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(mine.status, 200);
    assert.deepEqual(JSON.parse(mine.body), {
      supporter: 'alice',
      name: 'Alice',
      currency: null,
      verifiedBytes: 4000,
      unsettledBytes: 4000,
      viewersHelped: 1,
      pending: 0,
      statements: [],
    });
    assert.doesNotMatch(mine.body, /IBAN|bob/i);
    const page = await httpRequest(`${web.base}/relaycast/payout/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /supporter token/);

    const admin = await helper.request().get('/relaycast-payout/pay/accounts').expect(200);
    assert.deepEqual(
      (admin.body as { accounts: Array<{ supporter: string; address: string }> }).accounts.map((a) => [a.supporter, a.address]),
      [
        ['alice', 'IBAN-SECRET-A'],
        ['bob', 'IBAN-SECRET-B'],
      ],
    );
    await helper.request().get('/relaycast-payout/nope/accounts').expect(404);

    await helper.unload();
    const gone = await httpRequest(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(gone.status, 404, 'the route goes with the node');
    await helper.load(payoutNode as never, flow()); // afterEach unloads again
  });

  it('limits token guesses per client address: 429 with Retry-After before any token is checked, other addresses unaffected', async () => {
    const creds = { pay: { supporterTokens: `alice:${TOKEN}` } };
    // The test client is the proxy: it names each client in X-Forwarded-For.
    await helper.load(payoutWithHttp as never, flow({ trustedProxies: '127.0.0.1, ::1' }), creds);
    await send({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-A' } });
    const url = `${web.base}/relaycast/payout/me`;
    const ask = (client: string, token: string) => request(url, '', { headers: { 'X-Forwarded-For': client, Authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await ask('203.0.113.5', `guess-${i}-0123456789`)).status);
    const answered = statuses.indexOf(429);
    assert.ok(answered >= 20 && answered < 25, `a burst of guesses is answered, then refused: ${statuses.join(' ')}`);
    assert.ok(
      statuses.slice(answered).every((st) => st === 429),
      statuses.join(' '),
    );
    const refused = await ask('203.0.113.5', TOKEN);
    assert.equal(refused.status, 429, 'the good token from the guessing address is refused alike');
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`);
    // 6to4 of the same IPv4 address is the same source (addresses.ts).
    assert.equal((await ask('2002:cb00:7105:1::1', TOKEN)).status, 429);
    const honest = await ask('198.51.100.9', TOKEN);
    assert.equal(honest.status, 200, 'another address is answered');
    assert.equal(JSON.parse(honest.body.toString('utf8')).supporter, 'alice');
  });

  it('goes green once it has counted the ledger, and red with E_PAYOUT_STORE when the ledger cannot be opened', async () => {
    await helper.load(payoutNode as never, flow());
    await send({ topic: 'receipt', payload: receipt() });
    const statusOf = (id: string, text: string) =>
      new Promise<{ text?: string; fill?: string }>((resolve) => {
        (helper.getNode(id) as unknown as { on(e: string, f: (call: { args: Array<{ text?: string; fill?: string }> }) => void): void }).on(
          'call:status',
          (call) => {
            if (call.args[0]?.text === text) resolve(call.args[0]);
          },
        );
      });
    assert.equal((await statusOf('pay', 'payout.status.counts')).fill, 'green');
    await helper.unload();
    ledgerFile = path.join(dir, 'missing-dir', 'ledger.sqlite');
    const flowDef = flow();
    await helper.load(payoutNode as never, flowDef);
    const caught = next('caught');
    helper.getNode('pay').receive({ topic: 'receipt', payload: receipt() });
    assert.equal((await caught).error?.code, 'E_PAYOUT_STORE');
    const calls = (helper.getNode('pay') as unknown as { status: { args: Array<[{ fill?: string; text?: string }]> } }).status.args;
    assert.ok(
      calls.some(([st]) => st.fill === 'red' && st.text === 'payout.status.storeError'),
      JSON.stringify(calls),
    );
  });

  it('opens the ledger with node:sqlite on Node ≥ 22 and with better-sqlite3 on Node 20 (CI runs both)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { sqliteEngine } = require('../../dist/lib/payout/sqlite-driver.js') as typeof import('../../lib/payout/sqlite-driver');
    assert.equal(sqliteEngine(), major >= 22 ? 'node:sqlite' : 'better-sqlite3');
    const db = openSqlite(path.join(dir, 'probe.sqlite'));
    try {
      assert.equal(db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode, 'wal');
    } finally {
      db.close();
    }
  });

  it('loads the example flow (signaling → payout → statement to a file)', async () => {
    const example = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'flows', '05 - Reward supporters.json'), 'utf8')) as Array<
      Record<string, unknown>
    >;
    assert.ok(example.some((node) => node.type === 'relaycast-payout'));
    assert.ok(example.some((node) => node.type === 'relaycast-signaling'));
    assert.ok(example.some((node) => node.type === 'file'));
    assert.ok(!JSON.stringify(example).includes('credentials'), 'no secrets in the example');
  });
});
