// The stats hls.js's ABR reads are the loader's own object, taken before load() is called
// (`frag.stats = loader.stats` in hls.js's fragment loader). A loader that swapped in a new object
// inside load() left hls.js reading zeros: no bandwidth sample, and an emergency down-switch on the
// first segment that pinned the estimate to the lowest rendition's bitrate.
import assert from 'node:assert/strict';
import type { FragmentLoaderContext, HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats, PlaylistLoaderContext } from 'hls.js';
import { fragmentLoaderClass } from '../../../viewer/loader/fragment-loader';
import { playlistLoaderClass } from '../../../viewer/loader/playlist-loader';
import { RelaycastSession } from '../../../viewer/loader/session';
import { BOUNDS, type SeededPlaylist } from '../../../lib/protocol';
import { FakePlatform, FakeSignalingServer, Origin, until } from '../peer/fakes';

const config = { loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000 } } as unknown as LoaderConfiguration;

function callbacksInto<C extends LoaderContext>(results: Array<{ stats: LoaderStats; bytes: number }>): LoaderCallbacks<C> {
  return {
    onSuccess: (response, stats) => {
      const data = response.data as ArrayBuffer | string;
      results.push({ stats, bytes: typeof data === 'string' ? data.length : data.byteLength });
    },
    onError: (error) => {
      throw new Error(`unexpected error ${error.text}`);
    },
    onTimeout: () => {
      throw new Error('unexpected timeout');
    },
  };
}

/** Stands in for hls.js's own loader class (XhrLoader): records each load, answers it, and refuses reuse as hls.js's do. */
class HlsOwnLoader implements Loader<LoaderContext> {
  context: LoaderContext | null = null;
  static loads: Array<{ url: string; retry: number }> = [];
  static status = 200;
  stats: LoaderStats = {
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
  constructor(readonly config: unknown) {}
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    if (this.stats.loading.start) throw new Error('Loader can only be used once.');
    HlsOwnLoader.loads.push({ url: context.url, retry: this.stats.retry });
    const stats = this.stats;
    stats.loading.start = performance.now();
    setImmediate(() => {
      stats.loading.first = stats.loading.end = performance.now();
      if (HlsOwnLoader.status !== 200) return callbacks.onError({ code: HlsOwnLoader.status, text: 'Not Found' }, context, null, stats);
      const data = context.responseType === 'text' ? '#EXTM3U\n' : new ArrayBuffer(1000);
      stats.loaded = stats.total = typeof data === 'string' ? data.length : data.byteLength;
      callbacks.onSuccess({ url: context.url, data }, stats, context, null);
    });
  }
  abort(): void {}
  destroy(): void {}
  getCacheAge(): null {
    return null;
  }
  getResponseHeader(): null {
    return null;
  }
}

describe('viewer loaders: the stats object hls.js reads', () => {
  const saved = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection;
  before(() => {
    (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = class {};
  });
  after(() => {
    (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = saved;
  });

  function session(engine: object): RelaycastSession {
    const s = new RelaycastSession({ signalingUrl: 'ws://test/signal', stream: 'live', startRendition: 'high' }, null);
    s.peerEngine = {
      peersHolding: () => 0,
      linking: () => 0,
      openLinks: () => 1,
      startLinking: () => undefined,
      ...engine,
    } as never;
    return s;
  }

  for (const source of ['store', 'peer', 'mixed'] as const) {
    it(`a segment from ${source === 'store' ? 'the store' : source === 'peer' ? 'peers' : 'peers and HTTP'}: fills the object hls.js took, with the transfer's own timing`, async () => {
      const bytes = new ArrayBuffer(300_000);
      const transferMs = 120;
      const s = session({
        store: { sequenceOf: () => 7 },
        loadSegment: async () => {
          const now = performance.now();
          return { bytes, source, startedAt: now - transferMs, firstByteAt: now - transferMs * 0.9, finishedAt: now };
        },
      });
      // Twice on one loader (hls.js makes one per load, but a reused one must behave the same).
      const loader = new (fragmentLoaderClass(s))({ loader: HlsOwnLoader } as unknown as HlsConfig);
      const fragStats = loader.stats; // what hls.js does before load()
      for (const sn of [7, 8]) {
        fragStats.retry = 1;
        const results: Array<{ stats: LoaderStats; bytes: number }> = [];
        const context = {
          url: `https://r2.example/live/high/${sn}.ts`,
          frag: { sn, duration: 2 },
          rangeStart: 0,
          rangeEnd: 0,
          responseType: 'arraybuffer',
        } as unknown as FragmentLoaderContext;
        loader.load(context, config, callbacksInto(results));
        await new Promise<void>((resolve) => {
          const poll = () => (results.length ? resolve() : setImmediate(poll));
          poll();
        });
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
    const s = session({ playlistCopy: async () => ({ text, ageMs: 0 }) });
    const loader = new (playlistLoaderClass(s))({ loader: HlsOwnLoader } as unknown as HlsConfig);
    const held = loader.stats;
    const results: Array<{ stats: LoaderStats; bytes: number }> = [];
    const context = { url: 'https://origin.example/live/live/high.m3u8', type: 'level', responseType: 'text' } as unknown as PlaylistLoaderContext;
    loader.load(context, config, callbacksInto(results));
    await new Promise<void>((resolve) => {
      const poll = () => (results.length ? resolve() : setImmediate(poll));
      poll();
    });
    assert.equal(results[0].stats, held);
    assert.equal(held.loaded, text.length);
    assert.ok(held.loading.start > 0 && held.loading.end >= held.loading.start);
  });

  describe("HTTP goes through hls.js's own loader", () => {
    beforeEach(() => {
      HlsOwnLoader.loads = [];
      HlsOwnLoader.status = 200;
    });
    const until = (results: unknown[]) =>
      new Promise<void>((resolve) => {
        const poll = () => (results.length ? resolve() : setImmediate(poll));
        poll();
      });

    it("an init segment, a byte range and an unannounced segment: hls.js's loader, writing the stats object hls.js holds", async () => {
      let httpBytes = 0;
      let httpSegments = 0;
      const s = session({
        store: { sequenceOf: () => undefined },
        countBytes: (_: string, n: number) => {
          httpBytes += n;
        },
        countHttpSegment: (n: number) => {
          httpBytes += n;
          httpSegments++;
        },
        loadSegment: async () => {
          throw new Error('not the engine');
        },
      });
      const contexts = [
        { url: 'https://r2.example/live/high/init.mp4', frag: { sn: 'initSegment', duration: 0 }, rangeStart: 0, rangeEnd: 0 },
        { url: 'https://r2.example/live/high/all.mp4', frag: { sn: 3, duration: 2 }, rangeStart: 100, rangeEnd: 1100 },
        { url: 'https://r2.example/live/high/9.ts', frag: { sn: 9, duration: 2 }, rangeStart: 0, rangeEnd: 0 },
      ];
      for (const context of contexts) {
        const loader = new (fragmentLoaderClass(s))({ loader: HlsOwnLoader } as unknown as HlsConfig);
        const held = loader.stats;
        held.retry = 2;
        const results: Array<{ stats: LoaderStats; bytes: number }> = [];
        loader.load({ ...context, responseType: 'arraybuffer' } as unknown as FragmentLoaderContext, config, callbacksInto(results));
        await until(results);
        assert.equal(results[0].stats, held, `${context.url}: the stats hls.js holds`);
        assert.equal(held.loaded, 1000);
        assert.equal(HlsOwnLoader.loads.at(-1)?.retry, 2, "hls.js's retry count reaches its loader");
      }
      assert.deepEqual(
        HlsOwnLoader.loads.map((l) => l.url),
        contexts.map((c) => c.url),
      );
      assert.equal(httpBytes, 3000, "counted as HTTP bytes in the page's figures");
      assert.equal(httpSegments, 2, 'the two media segments count as HTTP segments, the init segment does not');
    });

    it("a playlist the socket has no copy of: hls.js's loader, and its error reaches hls.js as its own", async () => {
      let fromHttp = 0;
      const s = session({
        playlistCopy: async () => undefined,
        notePlaylistFromHttp: () => {
          fromHttp++;
        },
      });
      HlsOwnLoader.status = 404;
      const loader = new (playlistLoaderClass(s))({ loader: HlsOwnLoader } as unknown as HlsConfig);
      const errors: number[] = [];
      const context = { url: 'https://origin.example/live/live/master.m3u8', type: 'manifest', responseType: 'text' } as unknown as PlaylistLoaderContext;
      loader.load(context, config, {
        ...callbacksInto([]),
        onError: (error) => {
          errors.push(error.code);
        },
      });
      await until(errors);
      assert.deepEqual(errors, [404]);
      assert.deepEqual(
        HlsOwnLoader.loads.map((l) => l.url),
        [context.url],
      );
      assert.equal(fromHttp, 1);
    });
  });

  /**
   * hls.js dates a live playlist by `loading.first` (advancedDateTime) and places the live edge, the
   * start position and its latency by it. A copy from the socket is as old as the server says: dated
   * at delivery, a viewer joining a segment after the last playlist started a segment behind live.
   */
  describe('a playlist from the socket is dated by its age', () => {
    const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nmain.m3u8\n';
    const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:2,\nhttps://r2.example/live/main/5.ts\n';
    const MASTER_URL = 'https://origin.example/live/live/master.m3u8';
    const MEDIA_URL = 'https://origin.example/live/live/main.m3u8';
    let serverSkewMs = 0;
    let server: FakeSignalingServer;
    const sessions: RelaycastSession[] = [];
    beforeEach(() => {
      HlsOwnLoader.loads = [];
      HlsOwnLoader.status = 200;
      serverSkewMs = 0;
      server = new FakeSignalingServer(() => Date.now() + serverSkewMs);
      server.coordinator.announce({
        stream: 'live',
        rendition: 'main',
        sequence: 5,
        url: 'https://r2.example/live/main/5.ts',
        size: 10,
        sha256: 'a'.repeat(64),
        duration: 2,
      });
    });
    afterEach(() => {
      for (const s of sessions.splice(0)) s.destroy();
    });

    function realSession(initialPlaylists?: SeededPlaylist[]): RelaycastSession {
      const s = new RelaycastSession(
        { signalingUrl: 'ws://test/signal', stream: 'live', startRendition: 'main', ...(initialPlaylists ? { initialPlaylists } : {}) },
        new FakePlatform(server, new Origin()),
      );
      sessions.push(s);
      return s;
    }

    async function load(s: RelaycastSession, url: string, type: 'manifest' | 'level') {
      const loader = new (playlistLoaderClass(s))({ loader: HlsOwnLoader } as unknown as HlsConfig);
      const results: Array<{ stats: LoaderStats; bytes: number }> = [];
      loader.load({ url, type, responseType: 'text' } as unknown as PlaylistLoaderContext, config, callbacksInto(results));
      await new Promise<void>((resolve) => {
        const poll = () => (results.length ? resolve() : setImmediate(poll));
        poll();
      });
      return results[0].stats;
    }

    it('a copy from the welcome: loading.first is as far back as the server held it, in whole segments until hls.js picks its start', async () => {
      const before = performance.now();
      server.coordinator.pushPlaylist({ stream: 'live', rendition: null, text: MASTER, ended: false });
      server.coordinator.pushPlaylist({ stream: 'live', rendition: 'main', text: MEDIA, ended: false });
      serverSkewMs = 2_500; // the server has held this version 2.5 s (1.25 segments) when the viewer joins
      const s = realSession();
      s.engineFor(MASTER_URL, null);
      await until(() => s.peerEngine!.joined, 'the welcome');
      await load(s, MASTER_URL, 'manifest');
      const first = await load(s, MEDIA_URL, 'level');
      assert.equal(first.loading.end - first.loading.first, 2_000, 'one whole segment: hls.js starts on a segment boundary');
      // hls.js asked for a fragment: its start is chosen, and the next copy carries its whole age.
      s.noteFragmentRequest();
      const stats = await load(s, MEDIA_URL, 'level');
      const upTo = performance.now() - before;
      assert.equal(HlsOwnLoader.loads.length, 0, 'every playlist came from the socket');
      const age = stats.loading.end - stats.loading.first;
      // (+ 1: the server rounds the age to whole ms.)
      assert.ok(age >= 2_500 && age <= 2_500 + upTo + 1, `the copy's age: ${age} ms (≥ 2500, ≤ 2500 + ${upTo} + 1)`);
      assert.ok(stats.loading.start >= before, "start stays the request's time (hls.js schedules the next reload from it)");
    });

    it('a copy from the welcome older than 1.5 target durations is not served: the origin has a newer one', async () => {
      server.coordinator.pushPlaylist({ stream: 'live', rendition: null, text: MASTER, ended: false });
      server.coordinator.pushPlaylist({ stream: 'live', rendition: 'main', text: MEDIA, ended: false });
      serverSkewMs = 3_500; // 1.75 target durations: the encoder stalled, or manifest stopped pushing
      const s = realSession();
      s.engineFor(MASTER_URL, null);
      await until(() => s.peerEngine!.joined, 'the welcome');
      await load(s, MASTER_URL, 'manifest');
      await load(s, MEDIA_URL, 'level');
      assert.deepEqual(
        HlsOwnLoader.loads.map((l) => l.url),
        [MEDIA_URL],
        "the stale media copy went to hls.js's own loader",
      );
    });

    it("a copy inlined in the page: its age counts the server's and is served before the welcome; a master hours old still is", async () => {
      const before = performance.now();
      const s = realSession([
        { rendition: null, text: MASTER, ended: false, ageMs: BOUNDS.maxPlaylistAgeMs },
        { rendition: 'main', text: MEDIA, ended: false, ageMs: 1_200 },
      ]);
      await load(s, MASTER_URL, 'manifest');
      const first = await load(s, MEDIA_URL, 'level');
      assert.equal(first.loading.end - first.loading.first, 0, 'within its last segment: dated as new until hls.js picks its start');
      s.noteFragmentRequest();
      const stats = await load(s, MEDIA_URL, 'level');
      const upTo = performance.now() - before;
      assert.equal(HlsOwnLoader.loads.length, 0, 'both playlists came from the page');
      const age = stats.loading.end - stats.loading.first;
      assert.ok(age >= 1_200 && age <= 1_200 + upTo + 1, `the copy's age: ${age} ms (≥ 1200, ≤ 1200 + ${upTo} + 1)`);
    });
  });
});
