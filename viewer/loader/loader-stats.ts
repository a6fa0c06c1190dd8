/** A fresh hls.js LoaderStats object (hls.js reads every field; a missing one breaks ABR). */
import type { LoaderStats } from 'hls.js';

export function newLoaderStats(): LoaderStats {
  return {
    aborted: false, loaded: 0, retry: 0, total: 0, chunkCount: 0, bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}
