// Receipt and ledger builders for the payout specs.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PayoutReceipt, ReceiptEnd } from '../../../lib/payout/contract';
import { Ledger } from '../../../lib/payout/ledger';
import { DEFAULT_RULES, type RuleSettings } from '../../../lib/payout/rules';
import { SqliteLedgerStore } from '../../../lib/payout/sqlite-store';

export const SIZE = 1000;
export const SHA = 'a'.repeat(64);

let counter = 0;

/** A supporter → viewer delivery of a whole segment, each end on its own network unless told. */
export function receipt(overrides: Partial<Omit<PayoutReceipt, 'uploader' | 'downloader'>> & { uploader?: Partial<ReceiptEnd>; downloader?: Partial<ReceiptEnd> } = {}): PayoutReceipt {
  counter += 1;
  const { uploader, downloader, ...rest } = overrides;
  return {
    id: `live/720p/${rest.sequence ?? 1}/peer${counter}`,
    stream: 'live', rendition: '720p', sequence: 1, sha256: SHA, segmentSize: SIZE, bytes: SIZE, receivedAt: 1_700_000_000_000,
    ...rest,
    uploader: { peer: 'upAlice00000', role: 'supporter', supporter: 'alice', network: 'net-alice', ...uploader },
    downloader: { peer: `dn${String(counter).padStart(10, '0')}`, role: 'viewer', network: `net-viewer-${counter}`, ...downloader },
  };
}

export interface TempLedger {
  dir: string;
  file: string;
  ledger: Ledger;
  store: SqliteLedgerStore;
  reopen(): Promise<TempLedger>;
  dispose(): Promise<void>;
}

export function tempLedger(rules: Partial<RuleSettings> = {}, threshold = 0, dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-'))): TempLedger {
  const file = path.join(dir, 'ledger.sqlite');
  const store = new SqliteLedgerStore(file);
  const ledger = new Ledger(store, { rules: { ...DEFAULT_RULES, ...rules }, threshold, batchMs: 1 });
  return {
    dir, file, ledger, store,
    async reopen() { await ledger.close(); return tempLedger(rules, threshold, dir); },
    async dispose() { await ledger.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}
