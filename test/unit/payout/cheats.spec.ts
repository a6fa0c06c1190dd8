// Every cheat the issue names earns 0, through the real ledger on each store (SQLite and PostgreSQL);
// each case also shows the honest receipt next to it earning, so a rule that refused everything would fail too.
import assert from 'node:assert/strict';
import { BACKENDS, receipt, refusedWith, SIZE, tempLedgers, verifiedBySupporter, type TempLedger } from './fixtures';

for (const backend of BACKENDS)
  describe(`payout cheats earn nothing (real ${backend.name} ledger)`, () => {
    const tempLedger = tempLedgers(backend);
    before(() => backend.ready());
    let t: TempLedger;
    afterEach(() => t.dispose());

    const credited = () => verifiedBySupporter(t.store);

    it('inflated bytes (more than the segment holds, or zero)', async () => {
      t = tempLedger();
      refusedWith(await t.ledger.submit(receipt({ bytes: SIZE + 1 })), 'INFLATED_BYTES');
      refusedWith(await t.ledger.submit(receipt({ bytes: 0 })), 'INFLATED_BYTES');
      assert.deepEqual(await credited(), {});
      assert.equal((await t.ledger.submit(receipt({ bytes: SIZE }))).status, 'credited');
      assert.deepEqual(await credited(), { alice: SIZE });
    });

    it('a self-receipt (one connection on both ends) and the same supporter on both ends', async () => {
      t = tempLedger();
      refusedWith(await t.ledger.submit(receipt({ downloader: { peer: 'upAlice00000' } })), 'SELF_RECEIPT');
      refusedWith(await t.ledger.submit(receipt({ downloader: { role: 'supporter', supporter: 'alice' } })), 'SELF_DEALING');
      assert.deepEqual(await credited(), {});
    });

    it("a downloader on the uploader's own network (equal tags); allowed only when the setting says so", async () => {
      t = tempLedger();
      refusedWith(await t.ledger.submit(receipt({ downloader: { network: 'net-alice' } })), 'SAME_NETWORK');
      assert.deepEqual(await credited(), {});
      await t.dispose();
      t = tempLedger({ sameNetwork: 'allow' });
      assert.equal((await t.ledger.submit(receipt({ downloader: { network: 'net-alice' } }))).status, 'credited');
    });

    it('a replay (same receipt id) changes nothing, also after a restart', async () => {
      t = tempLedger();
      const r = receipt();
      assert.equal((await t.ledger.submit(r)).status, 'credited');
      refusedWith(await t.ledger.submit(r), 'DUPLICATE');
      t = await t.reopen();
      refusedWith(await t.ledger.submit(r), 'DUPLICATE');
      // A replay inside one batch is caught too.
      const again = receipt();
      const [first, second] = await Promise.all([t.ledger.submit(again), t.ledger.submit(again)]);
      assert.equal(first.status, 'credited');
      refusedWith(second, 'DUPLICATE');
      assert.deepEqual(await credited(), { alice: 2 * SIZE });
    });

    it('an unknown segment, and one whose size or hash differs from what was published (published-segment mode)', async () => {
      t = tempLedger({ segments: 'published' });
      refusedWith(await t.ledger.submit(receipt({ sequence: 7 })), 'UNKNOWN_SEGMENT');
      await t.ledger.publish({ stream: 'live', rendition: '720p', sequence: 7, size: SIZE, sha256: 'b'.repeat(64) });
      refusedWith(await t.ledger.submit(receipt({ sequence: 7 })), 'SEGMENT_MISMATCH');
      assert.deepEqual(await credited(), {});
      assert.equal((await t.ledger.submit(receipt({ sequence: 7, sha256: 'b'.repeat(64) }))).status, 'credited');
    });

    it('a sybil swarm: 100 viewers on one network earn the uploader what one viewer would', async () => {
      t = tempLedger();
      const decisions = await Promise.all(Array.from({ length: 100 }, () => t.ledger.submit(receipt({ downloader: { network: 'one-machine' } }))));
      assert.equal(decisions.filter((d) => d.status === 'credited').length, 1);
      for (const d of decisions.filter((x) => x.status === 'refused')) refusedWith(d, 'NETWORK_CAP');
      assert.deepEqual(await credited(), { alice: SIZE });
      // Partial receipts from that network still add up to one segment at most, never more.
      refusedWith(await t.ledger.submit(receipt({ bytes: 10, downloader: { network: 'one-machine' } })), 'NETWORK_CAP');
      // A second, real network is another viewer helped.
      assert.equal((await t.ledger.submit(receipt({ downloader: { network: 'elsewhere' } }))).status, 'credited');
      assert.deepEqual(await credited(), { alice: 2 * SIZE });
      assert.equal((await t.store.accounts())[0]?.viewersHelped, 2);
    });

    it('a supporter is never paid for its own downloads', async () => {
      t = tempLedger();
      const d = await t.ledger.submit(
        receipt({
          uploader: { peer: 'viewer000001', role: 'viewer', supporter: undefined, network: 'v' },
          downloader: { role: 'supporter', supporter: 'alice' },
        }),
      );
      refusedWith(d, 'NOT_SUPPORTER');
      assert.deepEqual(await credited(), {});
    });

    it('a receipt naming a viewer (not a supporter) as uploader, even with a supporter id attached', async () => {
      t = tempLedger();
      refusedWith(await t.ledger.submit(receipt({ uploader: { role: 'viewer', supporter: undefined } })), 'NOT_SUPPORTER');
      refusedWith(await t.ledger.submit(receipt({ uploader: { role: 'viewer', supporter: 'alice' } })), 'NOT_SUPPORTER');
      assert.deepEqual(await credited(), {});
    });

    it('untagged receipts: credited per connection by default with the reason saying so, or refused by the setting', async () => {
      t = tempLedger();
      const untagged = { uploader: { network: undefined }, downloader: { network: undefined, peer: 'samePeer0001' } };
      const d = await t.ledger.submit(receipt(untagged));
      assert.equal(d.status, 'credited');
      assert.equal((d as { untagged: boolean }).untagged, true);
      const again = await t.ledger.submit(receipt(untagged));
      refusedWith(again, 'NETWORK_CAP');
      assert.match((again as { reason: string }).reason, /no network tags/);
      await t.dispose();
      t = tempLedger({ untagged: 'refuse' });
      const refused = await t.ledger.submit(receipt(untagged));
      refusedWith(refused, 'UNTAGGED');
      assert.match((refused as { reason: string }).reason, /no network tags/);
    });
  });
