/**
 * The number fields of relaycast-r2-upload's editor and the rule for each, as the runtime applies
 * them (lib/config/config-number.ts). The editor's validators (r2-upload.html) must say the same;
 * test/unit/editor-validators.spec.ts checks that they do.
 */
import type { NumberRule } from '../../lib/config/config-number';

export const R2_UPLOAD_NUMBERS = {
  concurrency: { field: 'Parallel', fallback: 4, min: 1, max: 64, integer: true },
  maxAttempts: { field: 'Attempts', fallback: 5, min: 1, max: 20, integer: true },
  attemptTimeout: { field: 'Timeout', fallback: 10, min: 0.1, max: 600 },
  maxQueue: { field: 'Backlog', fallback: 256, min: 1, max: 100_000, integer: true },
  maxQueueMB: { field: 'Backlog MB', fallback: 256, min: 1, max: 65_536 },
  keepSegments: { field: 'Keep', fallback: 12, min: 1, max: 100_000, integer: true },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
