/**
 * The number fields of relaycast-hls-watch's editor and the rule for each, as the runtime applies
 * them (lib/config/config-number.ts). The editor's validators (hls-watch.html) must say the same;
 * test/unit/editor-validators.spec.ts checks that they do.
 */
import type { NumberRule } from '../../lib/config/config-number';

export const HLS_WATCH_NUMBERS = {
  pollInterval: { field: 'Poll interval (ms)', fallback: 250, min: 10, max: 60_000 },
  maxSegmentMB: { field: 'Max segment (MiB)', fallback: 64, min: 0.001, max: 4096 },
  segmentWait: { field: 'Wait for file (ms)', fallback: 3000, min: 1, max: 600_000 },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
