// What an ABR spec reads from a viewer page: every main fragment hls.js loaded, with the stats the
// loader gave hls.js (what its ABR samples), the estimate after each, and how many of its bytes
// peers delivered and when (the engine's own record of the transfer); and every level switch.

/**
 * Installed before the page runs (a string: the runner's transpiler would add helpers the page
 * lacks). Once the page publishes its player, it wraps the engine's acquisition hook, which sees
 * each segment's verified bytes by source and the times its bytes arrived, and listens to hls.js.
 * `holdStart`: hls.js loads no fragment until the spec calls startLoad() (autoStartLoad off before
 * the master playlist is parsed); the page, its engine and its links start as usual.
 */
export const abrWatch = (options: { holdStart?: boolean } = {}): string => `(() => {
  const holdStart = ${options.holdStart === true};
  let viewer;
  const watch = { frags: [], acquired: {}, switches: [], emergencies: [] };
  window.abrWatch = watch;
  Object.defineProperty(window, 'relaycastViewer', {
    configurable: true,
    get() { return viewer; },
    set(v) {
      viewer = v;
      // The engine starts with the page when the page knows the stream's first rendition, else
      // with hls.js's first playlist request (a page opened before the stream was announced).
      const engineOf = () => v.session && v.session.peerEngine;
      (function hookEngine() {
        if (!v.session) return;
        const engine = engineOf();
        if (!engine) { setTimeout(hookEngine, 20); return; }
        const acquired = engine.onAcquired;
        engine.onAcquired = function (acquisition, completed) {
          let peer = 0;
          completed.fromPeers.forEach((bytes) => { peer += bytes; });
          watch.acquired[acquisition.meta.url] = {
            peer, http: completed.httpBytes, startedAt: completed.startedAt, firstByteAt: completed.firstByteAt, finishedAt: completed.finishedAt,
          };
          return acquired.call(this, acquisition, completed);
        };
      })();
      const hls = v.hls;
      if (holdStart) hls.config.autoStartLoad = false;
      const main = (frag) => frag.type === 'main' && frag.sn !== 'initSegment';
      const entry = (frag) => watch.frags.find((f) => f.url === frag.url && f.loadedAt === undefined) || null;
      hls.on('hlsFragLoading', (_e, d) => {
        if (!main(d.frag)) return;
        const s = v.stats && v.stats();
        watch.frags.push({
          sn: d.frag.sn, level: d.frag.level, url: d.frag.url, bitrateTest: !!d.frag.bitrateTest, loadingAt: performance.now(),
          links: s ? s.peers : 0, holders: engineOf() ? engineOf().peersHolding(d.frag.url) : 0,
        });
      });
      hls.on('hlsFragLoaded', (_e, d) => {
        if (!main(d.frag)) return;
        const f = entry(d.frag);
        if (!f) return;
        const s = d.frag.stats;
        f.loadedAt = performance.now();
        f.start = s.loading.start; f.first = s.loading.first; f.end = s.loading.end; f.loaded = s.loaded;
        const a = watch.acquired[d.frag.url];
        f.peer = a ? Math.min(a.peer, s.loaded) : 0;
        f.transfer = a || null;
      });
      hls.on('hlsFragBuffered', (_e, d) => {
        if (!main(d.frag)) return;
        const f = watch.frags.find((x) => x.url === d.frag.url && x.loadedAt !== undefined && x.bufferedAt === undefined);
        if (!f) return;
        f.bufferedAt = performance.now();
        f.parsingEnd = d.frag.stats.parsing.end;
        f.estimateAfter = hls.bandwidthEstimate;
      });
      hls.on('hlsLevelSwitching', (_e, d) => watch.switches.push({ level: d.level, at: performance.now() }));
      hls.on('hlsFragLoadEmergencyAborted', (_e, d) => watch.emergencies.push({ sn: d.frag.sn, level: d.frag.level, at: performance.now() }));
    },
  });
})()`;

/**
 * A cold viewer held by abrWatch({ holdStart: true }), once the master playlist is parsed and its
 * engine joined: puts the engine in the swarm of the rendition hls.js will start with (what loading
 * that level's playlist does; the page's first rendition is whichever the server heard of first),
 * and says how many linked peers hold the newest segment it knows.
 */
export const LINKED_TO_HOLDERS = `(() => {
  const v = window.relaycastViewer;
  const engine = v && v.session && v.session.peerEngine;
  const hls = v && v.hls;
  if (!engine || !engine.joined || !hls.levels || hls.levels.length === 0) return { ready: false };
  const rendition = v.session.renditionFromUrl(hls.levels[hls.startLevel].uri);
  if (engine.rendition !== rendition) engine.setRendition(rendition);
  const latest = engine.store.latest();
  return { ready: true, startLevel: hls.startLevel, rendition: engine.rendition, holders: latest ? engine.peersHolding(latest.url) : 0 };
})()`;

/** A warm viewer: whether it plays the ladder's top rung, and how many of that rung's segments its engine holds. */
export const WARM_STATE = `(() => {
  const v = window.relaycastViewer;
  const hls = v && v.hls;
  const engine = v && v.session && v.session.peerEngine;
  const top = hls && hls.levels ? hls.levels.length - 1 : -1;
  if (top < 1 || !engine) return { onTop: false, held: 0, peers: 0 };
  const topRendition = v.session.renditionFromUrl(hls.levels[top].uri);
  const onTop = top > 0 && hls.currentLevel === top && engine.rendition === topRendition;
  return { onTop, held: onTop ? engine.store.held().length : 0, peers: (v.stats() || {}).peers || 0, level: hls.currentLevel, rendition: engine.rendition };
})()`;

export interface FragRecord {
  sn: number;
  level: number;
  url: string;
  bitrateTest: boolean;
  loadingAt: number;
  /** Open peer links, and linked peers that said they hold this segment, when hls.js asked for it. */
  links: number;
  holders: number;
  loadedAt?: number;
  bufferedAt?: number;
  /** The stats hls.js read (LoaderStats.loading.*, loaded). */
  start?: number;
  first?: number;
  end?: number;
  loaded?: number;
  parsingEnd?: number;
  /** Bytes of it that peers delivered (0 when it never went through the engine). */
  peer?: number;
  /** The engine's record of the segment's acquisition, when it went through the engine. */
  transfer?: { peer: number; http: number; startedAt: number; firstByteAt: number; finishedAt: number } | null;
  /** hls.bandwidthEstimate once hls.js sampled this fragment. */
  estimateAfter?: number;
}

export interface AbrLog {
  /** The loader's start-up marks (startup-marks.ts): step and page time. */
  marks: Array<[string, number]>;
  frags: FragRecord[];
  switches: Array<{ level: number; at: number }>;
  emergencies: Array<{ sn: number; level: number; at: number }>;
  top: number;
  bitrates: number[];
  defaultEstimate: number;
  /** hls.js's abrBandWidthUpFactor: an up-switch needs estimate × this above the level's bitrate. */
  upFactor: number;
  estimate: number;
  currentLevel: number;
}

export const ABR_LOG = `(() => {
  const hls = window.relaycastViewer.hls;
  const w = window.abrWatch;
  return {
    frags: w.frags, switches: w.switches, emergencies: w.emergencies,
    marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('relaycast:')).map((m) => [m.name.slice(10), Math.round(m.startTime)]),
    top: hls.levels.length - 1, bitrates: hls.levels.map((l) => l.bitrate),
    defaultEstimate: hls.config.abrEwmaDefaultEstimate, upFactor: hls.config.abrBandWidthUpFactor, estimate: hls.bandwidthEstimate, currentLevel: hls.currentLevel,
  };
})()`;
