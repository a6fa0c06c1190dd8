/**
 * The p2p-media-loader baseline's viewer page script (bundled by bench/support/p2pml-baseline.ts
 * with the project's hls.js). It plays the master with p2p-media-loader's hls.js engine, loaded at
 * run time from its own browser bundle, and publishes the figures the benches read from Relaycast's
 * viewer page under the same name and shape (`window.relaycastViewer`: hls, playback, stats()), so
 * a bench treats it as one more mode; and peerBytesOf(segment URL), for the played-media figures.
 */
import Hls, { type HlsConfig } from 'hls.js';
import { playLive, watchPlayback } from '../../viewer/page/playback';
import type { HlsWithP2p, P2pmlCoreConfig, P2pmlHlsjsModule } from './p2pml-types';

const PEER_BYTES_KEPT = 256;

/** Inlined by the baseline server as JSON in #p2pml-config. */
export interface P2pmlPageConfig {
  masterUrl: string;
  /** URL of p2p-media-loader-hlsjs's browser bundle (its core is mapped by the page's import map). */
  engineModule: string;
  core: P2pmlCoreConfig;
  hls: Partial<HlsConfig>;
}

/** Segment bytes by source, counted from the engine's chunk events: what stats() reports. */
function countTraffic(hls: HlsWithP2p) {
  const totals = { httpBytes: 0, p2pBytes: 0, httpSegments: 0, p2pSegments: 0, uploadedBytes: 0, peers: 0 };
  /** Each second: [ms since navigation, HTTP bytes, P2P bytes] so far. */
  const samples: Array<[number, number, number]> = [];
  const engine = hls.p2pEngine;
  engine.addEventListener('onChunkDownloaded', (bytes, source) => {
    if (source === 'p2p') totals.p2pBytes += bytes;
    else totals.httpBytes += bytes;
  });
  /** Segment URL → bytes peers delivered, for the played-media figures (the last PEER_BYTES_KEPT). */
  const peerBytes = new Map<string, number>();
  engine.addEventListener('onSegmentLoaded', (details) => {
    if (details.downloadSource === 'p2p') totals.p2pSegments++;
    else totals.httpSegments++;
    // p2p-media-loader 2.x reports one source per segment: a P2P download that fails is loaded again whole over HTTP.
    peerBytes.set(details.segmentUrl, details.downloadSource === 'p2p' ? details.bytesLength : 0);
    if (peerBytes.size > PEER_BYTES_KEPT) peerBytes.delete(peerBytes.keys().next().value!);
  });
  engine.addEventListener('onChunkUploaded', (bytes) => {
    totals.uploadedBytes += bytes;
  });
  engine.addEventListener('onPeerConnect', () => {
    totals.peers++;
  });
  engine.addEventListener('onPeerClose', () => {
    totals.peers--;
  });
  setInterval(() => samples.push([Math.round(performance.now()), totals.httpBytes, totals.p2pBytes]), 1000);
  return {
    stats: () => ({ ...totals, p2pShare: totals.p2pBytes / Math.max(1, totals.p2pBytes + totals.httpBytes), samples }),
    peerBytesOf: (segmentUrl: string) => peerBytes.get(segmentUrl) ?? 0,
  };
}

async function start(): Promise<void> {
  const config = JSON.parse(document.getElementById('p2pml-config')!.textContent ?? '{}') as P2pmlPageConfig;
  const video = document.getElementById('video') as HTMLVideoElement;
  const status = document.getElementById('status')!;
  const { HlsJsP2PEngine } = (await import(config.engineModule)) as P2pmlHlsjsModule;
  const HlsWithP2p = HlsJsP2PEngine.injectMixin(Hls);
  const hls = new HlsWithP2p({ ...config.hls, p2p: { core: config.core } });
  const { stats, peerBytesOf } = countTraffic(hls);
  const playback = watchPlayback(video, hls);
  const live = playLive(hls, video, config.masterUrl, () => (status.textContent = 'waiting for the stream…'));
  (window as unknown as { relaycastViewer: unknown }).relaycastViewer = { hls, playback, stats, peerBytesOf, joinSkips: live.joinSkips };
}

start().catch((err: unknown) => {
  document.getElementById('status')!.textContent = `p2p-media-loader failed to start: ${String(err)}`;
});
