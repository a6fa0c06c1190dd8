// What a bench reads from a viewer page to judge offload by the media played: every fragment hls.js
// loaded, with how many of its bytes came from peers, weighed by how much of it the video has
// played. Peer bytes received but never played are the waste. Also the page's own figures and the
// type of every selected ICE candidate pair. The p2p-media-loader page (p2pml-page.ts) has no such
// engine; it publishes peerBytesOf(segment URL) instead.
import type { Page } from 'playwright-core';

/**
 * Installed before the page runs (a string: the runner's transpiler would add helpers the page
 * lacks). Once the page publishes its player, records each loaded fragment; in P2P mode it wraps
 * the engine's acquisition hook to note how many bytes of each segment peers delivered, and counts
 * the signaling frames it receives by type (mediaWatch.signals: did an offer or answer get through).
 */
export const MEDIA_WATCH = `(() => {
  let viewer;
  const watch = { frags: [], peerBySequence: new Map(), signals: {} };
  window.mediaWatch = watch;
  Object.defineProperty(window, 'relaycastViewer', {
    configurable: true,
    get() { return viewer; },
    set(v) {
      viewer = v;
      (function hookEngine() {
        if (!v.session) return;
        const engine = v.session.peerEngine;
        if (!engine) { setTimeout(hookEngine, 50); return; }
        engine.signaling.on('frame', (f) => { watch.signals[f.type] = (watch.signals[f.type] || 0) + 1; });
        const acquired = engine.onAcquired;
        engine.onAcquired = function (acquisition, completed) {
          let peer = 0;
          completed.fromPeers.forEach((bytes) => { peer += bytes; });
          watch.peerBySequence.set(acquisition.meta.sequence, peer);
          return acquired.call(this, acquisition, completed);
        };
      })();
      v.hls.on('hlsFragLoaded', (_e, d) => {
        if (d.frag.sn === 'initSegment') return;
        const bytes = Math.max(d.frag.stats.loaded || 0, d.payload ? d.payload.byteLength : 0);
        const engine = v.session && v.session.peerEngine;
        const sequence = engine ? engine.store.sequenceOf(d.frag.url) : undefined;
        // Without Relaycast's engine the peer bytes are looked up when read (the p2p-media-loader page).
        const peer = sequence === undefined ? (engine ? 0 : undefined) : Math.min(bytes, watch.peerBySequence.get(sequence) || 0);
        watch.frags.push({ start: d.frag.start, end: d.frag.start + d.frag.duration, bytes, peer, url: d.frag.url, sequence });
      });
    },
  });
})()`;

export interface MediaFigures {
  /** Bytes of media the video element has played (fragments weighed by the share played). */
  played: number;
  /** Of those, bytes that peers delivered. */
  playedFromPeers: number;
  /**
   * Peer bytes not played yet but waiting to be: the unplayed part of fragments in the video's
   * buffer, and segments the engine holds ahead of the last fragment hls.js loaded. Not waste: a run
   * that ends stops the player, not the stream.
   */
  aheadFromPeers: number;
  /** Bytes received from peers and over HTTP (the loader's counters; HTTP only in plain mode). */
  peerReceived: number;
  httpReceived: number;
  uploaded: number;
  stalls: number;
  firstFrameMs?: number;
  latencySeconds?: number;
  wallLatencyMs?: number;
  playing: boolean;
  /** "local-remote" candidate types of each link's selected pair, e.g. "srflx-prflx". */
  pairs: string[];
  /** The player's first stall records (viewer/page/playback.ts StallRecord): when, where, what was buffered, the fragments before. */
  stallLog?: unknown[];
  /** The first errors the viewer noted (a synthetic viewer's refused frames, failed loads). */
  errors?: string[];
  /** The engine's segments whole from peers, and those HTTP finished (`atOnce`: asked with no time for peers; `misses`: a peer transfer missed the deadline); the loader only. */
  segments?: { peer: number; http: number; misses: number; atOnce: number; noHolder: number; unannounced: number };
}

export async function readMedia(page: Page): Promise<MediaFigures> {
  return page.evaluate(`(async () => {
    const v = window.relaycastViewer;
    const watch = window.mediaWatch;
    const video = document.getElementById('video');
    const now = video ? video.currentTime : 0;
    let played = 0, playedFromPeers = 0, aheadFromPeers = 0, lastLoaded = -1;
    for (const f of watch.frags) {
      const peer = f.peer !== undefined ? f.peer : v && v.peerBytesOf ? Math.min(f.bytes, v.peerBytesOf(f.url)) : 0;
      const share = Math.max(0, Math.min(1, (now - f.start) / Math.max(0.001, f.end - f.start)));
      played += f.bytes * share;
      playedFromPeers += peer * share;
      aheadFromPeers += peer * (1 - share);
      if (f.sequence !== undefined) lastLoaded = Math.max(lastLoaded, f.sequence);
    }
    watch.peerBySequence.forEach((bytes, sequence) => { if (lastLoaded >= 0 && sequence > lastLoaded) aheadFromPeers += bytes; });
    const s = (v && v.stats && v.stats()) || {};
    const pairs = [];
    const engine = v && v.session && v.session.peerEngine;
    if (engine) {
      for (const link of engine.links.values()) {
        if (!link.pc) continue;
        const stats = await link.pc.getStats();
        stats.forEach((r) => {
          if (r.type !== 'transport' || !r.selectedCandidatePairId) return;
          const pair = stats.get(r.selectedCandidatePairId);
          if (!pair || pair.state !== 'succeeded') return;
          const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
          pairs.push((local ? local.candidateType : '?') + '-' + (remote ? remote.candidateType : '?'));
        });
      }
    }
    return {
      played, playedFromPeers, aheadFromPeers,
      peerReceived: s.p2pBytes || 0,
      httpReceived: s.httpBytes || 0,
      uploaded: s.uploadedBytes || 0,
      stalls: v ? v.playback.stalls : 0,
      stallLog: v ? v.playback.stallLog : [],
      firstFrameMs: v ? v.playback.firstFrameMs : undefined,
      latencySeconds: v ? v.playback.latencySeconds() : undefined,
      wallLatencyMs: v ? v.playback.wallLatencyMs() : undefined,
      playing: !!video && !video.paused && video.currentTime > 0,
      pairs,
      segments: engine ? { peer: s.p2pSegments || 0, http: s.httpSegments || 0, misses: s.deadlineMisses || 0, atOnce: s.httpAtOnce || 0, noHolder: s.deadlineWithoutHolder || 0, unannounced: s.httpUnannounced || 0 } : undefined,
    };
  })()`) as Promise<MediaFigures>;
}
