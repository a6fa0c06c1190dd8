// The receipts the payout benches ingest: realistic ids and peer ids as signaling makes them, 50
// downloaders per segment, every downloader on its own network (so the cap never refuses one).
import type { PayoutReceipt } from '../../lib/payout/msg-input';
import type { Ledger } from '../../lib/payout/ledger';

export const BENCH_SEGMENT_SIZE = 1_200_000;

export function benchReceipt(i: number, supporters: number, stream = 'live'): PayoutReceipt {
  const supporter = `supporter-${i % supporters}`;
  const sequence = Math.floor(i / 50);
  return {
    id: `${stream}/720p/${sequence}/${((i * 2654435761) >>> 0).toString(36).padStart(12, '0')}`,
    stream,
    rendition: '720p',
    // As signaling emits them: the hls-watch session keys the per-network cap's media time slot.
    session: 'mie3xk9q-5f0c2a91',
    sequence,
    sha256: 'f'.repeat(64),
    segmentSize: BENCH_SEGMENT_SIZE,
    bytes: BENCH_SEGMENT_SIZE - (i % 1000),
    receivedAt: 1_700_000_000_000 + i,
    uploader: { peer: `up${String(i % supporters).padStart(10, '0')}`, role: 'supporter', supporter, network: `u${i % supporters}` },
    downloader: { peer: `dn${String(i).padStart(10, '0')}`, role: 'viewer', network: `d${i}` },
  };
}

/** Submits receipts [from, to) with `inFlight` outstanding, like msgs arriving while earlier ones commit. */
export async function submitRange(ledger: Ledger, from: number, to: number, inFlight: number, make: (i: number) => PayoutReceipt): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await ledger.submit(make(next++));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
