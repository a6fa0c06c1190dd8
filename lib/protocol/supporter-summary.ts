/**
 * What relaycast-payout's supporter summary route (`me`) answers, as JSON: one supporter's own
 * figures. Declared here, browser-safe, because the summary page (viewer/summary) reads it too.
 */
export interface SupporterSummary {
  supporter: string;
  name: string;
  currency: string | null;
  verifiedBytes: number;
  unsettledBytes: number;
  viewersHelped: number;
  pending: number;
  /** This supporter's own lines of every statement, without the payout address. */
  statements: Array<{ period: string; bytes: number; viewers: number; earned: number; paid: number; carriedOut: number; held?: string }>;
}
