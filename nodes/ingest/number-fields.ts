/**
 * The number fields of relaycast-ingest's editor and the rule for each, as the runtime applies
 * them (lib/config/config-number.ts); ingest.html inlines this file, so the editor says the same.
 */
import type { NumberRule } from '../../lib/config/config-number';

export const INGEST_NUMBERS = {
  port: { field: 'Port', fallback: 1935, min: 1, max: 65_535, integer: true },
  segmentSeconds: { field: 'Segment length (s)', fallback: 2, min: 1, max: 10, integer: true },
  listSize: { field: 'Playlist length', fallback: 6, min: 3, max: 30, integer: true },
  srtPort: { field: 'SRT port', fallback: 9000, min: 1, max: 65_535, integer: true },
  // libsrt's default is 120 ms; across the internet 4× the round trip is the usual advice.
  srtLatency: { field: 'SRT latency (ms)', fallback: 200, min: 20, max: 8000, integer: true },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
