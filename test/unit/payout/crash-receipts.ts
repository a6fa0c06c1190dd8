// The deterministic receipt log of the crash-loop spec: receipt i is always the same receipt.
import type { PayoutReceipt } from '../../../lib/payout/msg-input';

export const CRASH_SIZE = 5000;

export function crashReceipt(i: number): PayoutReceipt {
  const supporter = `s${i % 7}`;
  return {
    id: `live/720p/${i % 40}/d${i}`,
    stream: 'live',
    rendition: '720p',
    sequence: i % 40,
    sha256: 'c'.repeat(64),
    segmentSize: CRASH_SIZE,
    bytes: 1 + ((i * 7919) % CRASH_SIZE),
    receivedAt: 1_700_000_000_000 + i,
    uploader: { peer: `up-${supporter}`.padEnd(12, '0'), role: 'supporter', supporter, network: `home-${supporter}` },
    downloader: {
      peer: `d${i}`.padEnd(12, '0'),
      role: i % 11 === 0 ? 'supporter' : 'viewer',
      ...(i % 11 === 0 ? { supporter: `s${(i + 1) % 7}` } : {}),
      network: `n${i % 13}`,
    },
  };
}
