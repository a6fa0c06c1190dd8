/**
 * The number fields of relaycast-payout's editor and the rule for each, as the runtime applies them
 * at deploy (nodes/payout/config.ts through lib/config/config-number.ts). The build inlines this table into
 * payout.html, so the editor validates with these very rules; test/unit/editor-validators.spec.ts
 * checks that it does.
 */
import type { FieldNumberRule } from '../../lib/config/number-rule';

export const PAYOUT_NUMBERS = {
  // Minor units (balances are whole units); a balance below it carries forward to the next period.
  threshold: { field: 'Threshold', fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  // Milliseconds the first receipt of a batch waits for company; 0 = the next turn of the event loop.
  batchMs: { field: 'Group commit (ms)', fallback: 2, min: 0, max: 1000, integer: true },
} satisfies Record<string, FieldNumberRule>;
