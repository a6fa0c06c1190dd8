/** The payout core behind relaycast-payout (no Node-RED imports): the ledger, its msgs and its queries. */
export { PayoutDesk, type PayoutOutcome, type PayoutReply } from './payout-desk';
export { ledgerEngine, ledgerName, openLedger, type LedgerPlace } from './open-ledger';
export type { Ledger, LedgerOptions } from './ledger';
export type { AccountView, SupporterSummary } from './store';
export type { RuleSettings } from './rules';
