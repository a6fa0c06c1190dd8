// The stats hls.js's ABR reads are the loader's own object, taken before load() is called
// (`frag.stats = loader.stats` in hls.js's fragment loader). A loader that swapped in a new object
// inside load() left hls.js reading zeros: no bandwidth sample, and an emergency down-switch on the
// first segment that pinned the estimate to the lowest rendition's bitrate.
import assert from 'node:assert/strict';
import type { FragmentLoaderContext, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats, PlaylistLoaderContext } from 'hls.js';
import { fragmentLoaderClass } from '../../../viewer/loader/fragment-loader';
import { playlistLoaderClass } from '../../../viewer/loader/playlist-loader';
import { RelaycastSession } from '../../../viewer/loader/session';

const config = { loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000 } } as unknown as LoaderConfiguration;

function callbacksInto<C extends LoaderContext>(results: Array<{ stats: LoaderStats; bytes: number }>): LoaderCallbacks<C> {
  return {
    onSuccess: (response, stats) => {
      const data = response.data as ArrayBuffer | string;
      results.push({ stats, bytes: typeof data === 'string' ? data.length : data.byteLength });
    },
    onError: (error) => { throw new Error(`unexpected error ${error.text}`); },
    onTimeout: () => { throw new Error('unexpected timeout'); },
  };
}

describe('viewer loaders: the stats object hls.js reads', () => {
  const saved = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection;
  before(() => { (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = class {}; });
  after(() => { (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = saved; });

  function session(engine: object): RelaycastSession {
    const s = new RelaycastSession({ signalingUrl: 'ws://test/signal', stream: 'live', startRendition: 'high' }, null);
    s.engine = { peersHolding: () => 0, linking: () => 0, startLinking: () => undefined, ...engine } as never;
    return s;
  }

  for (const source of ['store', 'peer', 'mixed'] as const) {
    it(`a segment from ${source === 'store' ? 'the store' : source === 'peer' ? 'peers' : 'peers and HTTP'}: fills the object hls.js took, with the transfer's own timing`, async () => {
      const bytes = new ArrayBuffer(300_000);
      const transferMs = 120;
      const s = session({
        loadSegment: async () => {
          const now = performance.now();
          return { bytes, source, startedAt: now - transferMs, firstByteAt: now - transferMs * 0.9, finishedAt: now };
        },
      });
      // Twice on one loader (hls.js makes one per load, but a reused one must behave the same).
      const loader = new (fragmentLoaderClass(s))({});
      const fragStats = loader.stats; // what hls.js does before load()
      for (const sn of [7, 8]) {
        fragStats.retry = 1;
        const results: Array<{ stats: LoaderStats; bytes: number }> = [];
        const context = { url: `https://r2.example/live/high/${sn}.ts`, frag: { sn, duration: 2 }, rangeStart: 0, rangeEnd: 0, responseType: 'arraybuffer' } as unknown as FragmentLoaderContext;
        loader.load(context, config, callbacksInto(results));
        await new Promise<void>((resolve) => { const poll = () => (results.length ? resolve() : setImmediate(poll)); poll(); });
        assert.equal(results[0].stats, fragStats, 'onSuccess reports the object hls.js holds');
        assert.equal(fragStats.loaded, bytes.byteLength, 'loaded: what a bandwidth sample counts (0 takes none)');
        assert.equal(fragStats.retry, 1, 'the retry count hls.js set is kept');
        const { start, first, end } = fragStats.loading;
        assert.ok(start > 0 && start <= first && first <= end, `loading times in order, from this load (${start}, ${first}, ${end})`);
        assert.ok(end - start >= transferMs - 1, `the transfer's duration, not a memory copy's (${end - start} ms)`);
      }
    });
  }

  it('a playlist from the socket: fills the object hls.js took', async () => {
    const text = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n';
    const s = session({ loadPlaylist: async () => ({ text, source: 'swarm' }) });
    const loader = new (playlistLoaderClass(s))({});
    const held = loader.stats;
    const results: Array<{ stats: LoaderStats; bytes: number }> = [];
    const context = { url: 'https://origin.example/live/live/high.m3u8', type: 'level', responseType: 'text' } as unknown as PlaylistLoaderContext;
    loader.load(context, config, callbacksInto(results));
    await new Promise<void>((resolve) => { const poll = () => (results.length ? resolve() : setImmediate(poll)); poll(); });
    assert.equal(results[0].stats, held);
    assert.equal(held.loaded, text.length);
    assert.ok(held.loading.start > 0 && held.loading.end >= held.loading.start);
  });
});
