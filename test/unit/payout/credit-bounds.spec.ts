// What a downloader network's audience is worth, through signaling's receipts into a real ledger on
// each store: an encoder restart that reuses sequence numbers costs an honest supporter nothing, and
// a network that claims several renditions of a slot, or gets it from several supporter accounts,
// earns what one delivery of one rendition would. Each cheat runs next to the honest delivery it
// imitates, so a rule that refused everything would fail too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseReceipt, type PayoutReceipt } from '../../../lib/payout/msg-input';
import type { SegmentAnnouncement } from '../../../lib/signaling/protocol';
import { until } from '../../support/until';
import { harness, type Client } from '../signaling/harness';
import { BACKENDS, receipt, refusedWith, SIZE, tempLedgers, verifiedBySupporter, type TempLedger } from './fixtures';

const TOKENS: Record<string, string> = { 'alice-token-0123456789': 'alice', 'bob-token-0123456789xy': 'bob' };
const KB100 = 100_000;

type Harness = ReturnType<typeof harness>;

function signaling(): Harness {
  return harness({ networkTagKey: 'network-tag-key-for-tests', verifySupporter: (token) => TOKENS[token] ?? null });
}

/** A segment as hls-watch's pipeline announces it: its hash differs per session, rendition and number. */
function announce(h: Harness, session: string, rendition: string, sequence: number, size: number): void {
  const sha256 = createHash('sha256').update(`${session}/${rendition}/${sequence}`).digest('hex');
  const segment: SegmentAnnouncement = { stream: 'live', rendition, session, sequence, size, sha256, duration: 2, url: `https://cdn.example/${sequence}.ts` };
  h.c.announce(segment);
}

async function supporter(h: Harness, token: string, ip: string, rendition = '720p'): Promise<Client> {
  const { t, s } = h.connect(ip);
  h.send({ s }, { type: 'join', v: 4, stream: 'live', rendition, role: 'supporter', token });
  await until(() => s.peer !== undefined, `${token} joined as a supporter`);
  t.take();
  return { t, s, id: s.peer!.id };
}

/** A viewer at `ip` that negotiated with `uploader`, so their deliveries can be receipted. */
function viewerOf(h: Harness, uploader: Client, ip: string, rendition = '720p'): Client {
  const viewer = h.join('live', rendition, ip);
  h.negotiate(viewer, uploader);
  return viewer;
}

/** Signaling's receipts as payout parses them off the wire (JSON, then the receipt msg's schema). */
const wire = (h: Harness): PayoutReceipt[] => h.receipts.map((r) => parseReceipt(JSON.parse(JSON.stringify(r))));

for (const backend of BACKENDS)
  describe(`payout credit is per unit of audience, and survives encoder restarts (real ${backend.name} ledger)`, () => {
    const tempLedger = tempLedgers(backend);
    before(() => backend.ready());
    let t: TempLedger;
    afterEach(() => t.dispose());

    const submitAll = (receipts: PayoutReceipt[]) => Promise.all(receipts.map((r) => t.ledger.submit(r)));
    const credited = () => verifiedBySupporter(t.store);

    it('an encoder restart that reuses sequence numbers pays the honest supporter for every delivery; replays across it stay refused', async () => {
      t = tempLedger();
      const h = signaling();
      announce(h, 's1', '720p', 0, KB100);
      const alice = await supporter(h, 'alice-token-0123456789', '192.0.2.10');
      const viewer = viewerOf(h, alice, '198.51.100.20');
      for (const sequence of [1, 2]) {
        announce(h, 's1', '720p', sequence, KB100);
        h.deliver(alice, viewer, sequence, KB100);
      }
      // The encoder restarts: hls-watch opens session s2, numbered from 1 again, with new bytes.
      announce(h, 's2', '720p', 1, KB100);
      assert.ok(h.audit.some((a) => a.code === 'SESSION_RESTARTED'));
      h.deliver(alice, viewer, 1, KB100);
      const receipts = wire(h);
      assert.equal(receipts.length, 3, 'signaling credits all three deliveries');
      const decisions = await submitAll(receipts);
      assert.deepEqual(await credited(), { alice: 3 * KB100 }, `decisions: ${decisions.map((d) => (d.status === 'refused' ? d.code : d.status)).join(', ')}`);
      // The receipts name their session, so payout can tell the slots of the two sessions apart.
      assert.deepEqual(
        receipts.map((r) => r.session),
        ['s1', 's1', 's2'],
      );

      // Replays across the restart: the same receipts again, and the old segment 1 under a fresh id
      // (another address on the viewer's network) earn nothing.
      for (const d of await submitAll(receipts)) refusedWith(d, 'DUPLICATE');
      const old = receipts[0]!;
      refusedWith(await t.ledger.submit({ ...old, id: `${old.id}-again`, downloader: { ...old.downloader, peer: 'another00001' } }), 'NETWORK_CAP');
      assert.deepEqual(await credited(), { alice: 3 * KB100 });
    });

    it('receipts that name no session (an older signaling node) are told apart by their hash across a restart', async () => {
      t = tempLedger();
      const before = receipt({ sequence: 1, sha256: 'b'.repeat(64) });
      const after = receipt({ sequence: 1, sha256: 'c'.repeat(64), downloader: { network: before.downloader.network } });
      assert.equal((await t.ledger.submit(before)).status, 'credited');
      assert.equal((await t.ledger.submit(after)).status, 'credited');
      refusedWith(await t.ledger.submit({ ...before, id: `${before.id}-again` }), 'NETWORK_CAP');
      assert.deepEqual(await credited(), { alice: 2 * SIZE });
    });

    it('a downloader network that claims two renditions of one media time slot is credited one rendition (the larger), not both', async () => {
      t = tempLedger();
      const h = signaling();
      for (const [rendition, size] of [
        ['720p', 5000],
        ['360p', 2000],
      ] as const)
        announce(h, 's1', rendition, 0, size);
      const alice720 = await supporter(h, 'alice-token-0123456789', '192.0.2.10', '720p');
      const alice360 = await supporter(h, 'alice-token-0123456789', '192.0.2.11', '360p');
      // Two connections of one household network (198.51.100.0/24), one per rendition.
      const on720 = viewerOf(h, alice720, '198.51.100.20', '720p');
      const on360 = viewerOf(h, alice360, '198.51.100.21', '360p');
      // An honest viewer elsewhere, on 360p: its slot is its own.
      const honest = viewerOf(h, alice360, '203.0.113.7', '360p');
      for (const [rendition, size] of [
        ['720p', 5000],
        ['360p', 2000],
      ] as const)
        announce(h, 's1', rendition, 5, size);
      h.deliver(alice360, on360, 5, 2000);
      h.deliver(alice720, on720, 5, 5000);
      h.deliver(alice360, honest, 5, 2000);
      assert.equal(h.receipts.length, 3, 'signaling credits each connection its rendition');
      const receipts = wire(h);
      await submitAll(receipts);
      assert.deepEqual(await credited(), { alice: 5000 + 2000 });
      // The household's next slot is credited again: the cap is per slot, not per network for good.
      const [household] = receipts;
      const next = { ...household!, id: `${household!.id}-next`, sequence: 6 };
      assert.equal((await t.ledger.submit(next)).status, 'credited');
    });

    it("a slot's credit per downloader network is shared by supporter accounts, not multiplied by them", async () => {
      t = tempLedger();
      const h = signaling();
      announce(h, 's1', '720p', 0, 5000);
      const alice = await supporter(h, 'alice-token-0123456789', '192.0.2.10');
      const bob = await supporter(h, 'bob-token-0123456789xy', '192.0.2.77');
      const first = viewerOf(h, alice, '198.51.100.20');
      const second = viewerOf(h, bob, '198.51.100.21');
      const elsewhere = viewerOf(h, bob, '203.0.113.7');
      announce(h, 's1', '720p', 5, 5000);
      h.deliver(alice, first, 5, 5000);
      h.deliver(bob, second, 5, 5000);
      h.deliver(bob, elsewhere, 5, 5000);
      assert.equal(h.receipts.length, 3);
      const decisions = await submitAll(wire(h));
      refusedWith(decisions[1]!, 'NETWORK_CAP');
      // One network, one slot: one segment between both accounts; the viewer elsewhere is bob's own.
      assert.deepEqual(await credited(), { alice: 5000, bob: 5000 });
    });

    it('the bound: k networks earn at most k segments per slot, whatever renditions, accounts and connections they add', async () => {
      t = tempLedger();
      const k = 3;
      const sizes: Record<string, number> = { '1080p': 3000, '720p': 2000, '360p': 500 };
      const claims: PayoutReceipt[] = [];
      for (let net = 0; net < k; net++)
        for (const [rendition, size] of Object.entries(sizes))
          for (const account of ['mallory', 'mallory2', 'mallory3'])
            for (let connection = 0; connection < 4; connection++)
              claims.push(
                receipt({
                  session: 's1',
                  sequence: 9,
                  rendition,
                  segmentSize: size,
                  bytes: size,
                  sha256: createHash('sha256').update(rendition).digest('hex'),
                  uploader: { supporter: account, peer: `up-${account}`, network: `cheat-up-${account}` },
                  downloader: { network: `cheat-${net}` },
                }),
              );
      await submitAll(claims);
      const total = Object.values(await credited()).reduce((a, b) => a + b, 0);
      assert.equal(total, k * Math.max(...Object.values(sizes)));
    });
  });
