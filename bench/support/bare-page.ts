/**
 * The swarm bench's pages without the viewer page's panel (bundled by bench/support/bare-pages.ts):
 * `bare` is hls.js with the Relaycast loader, `hlsjs` is plain hls.js. Both publish the figures the
 * bench reads from the bundled page (`window.relaycastViewer`: hls, session, playback, stats()), so
 * the CPU the page's panel and chart cost shows as the difference between the modes.
 */
import Hls from 'hls.js';
import { relaycastHlsConfig } from '../../viewer/loader/index';
import { liveSyncConfig, type LatencyMode } from '../../lib/protocol/latency-mode';
import { playLive, watchPlayback } from '../../viewer/page/playback';

export interface BarePageConfig {
  loader: boolean;
  masterUrl: string;
  stream: string;
  signalingPath: string;
  candidatePattern: string;
  latency: LatencyMode;
}

const config = JSON.parse(document.getElementById('bare-config')!.textContent!) as BarePageConfig;
const video = document.getElementById('video') as HTMLVideoElement;
const pattern = new RegExp(config.candidatePattern);
const relaycast = config.loader
  ? relaycastHlsConfig({ signalingUrl: config.signalingPath, stream: config.stream, latency: config.latency, candidateFilter: (c) => pattern.test(c) })
  : undefined;
const hls = new Hls(relaycast ? relaycast.config : liveSyncConfig(config.latency));
relaycast?.session.attach(hls as never);
const playback = watchPlayback(video, hls);
const live = playLive(hls, video, config.masterUrl, () => undefined);
(window as unknown as { relaycastViewer: unknown }).relaycastViewer = {
  hls,
  session: relaycast?.session,
  playback,
  joinSkips: live.joinSkips,
  stats: () => relaycast?.session.stats(),
};
