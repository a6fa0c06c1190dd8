/** A fresh hls.js LoaderStats object (hls.js reads every field; a missing one breaks ABR). */
import type { LoaderStats } from 'hls.js';

export function newLoaderStats(): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}

/**
 * Readies a loader's stats for a load without replacing the object. hls.js takes a reference to it
 * before calling load() (`frag.stats = loader.stats`) and reads that reference for ABR: bandwidth
 * samples (`loaded`, `loading.*` on FRAG_BUFFERED) and the emergency down-switch (time since
 * `loading.start`). A fresh object made inside load() is one hls.js never sees: it then reads
 * loaded 0 (no sample is ever taken) and start 0 (every load looks as old as the page, so the
 * abandon rule fires and resets the estimate to the lowest rendition's bitrate).
 */
export function resetLoaderStats(stats: LoaderStats): LoaderStats {
  const { retry } = stats;
  return Object.assign(stats, newLoaderStats(), { retry });
}
