/**
 * The viewer page served by relaycast-signaling at <httpNodeRoot>/live/<stream>/. Its config comes
 * inline from the node (stream, signaling path, master playlist, first rendition), so a viewer only
 * opens the URL. Where WebRTC or WebSocket is missing it is plain hls.js over HTTP.
 */
import Hls from 'hls.js';
import { relaycastHlsConfig, type RelaycastStats } from '../loader/index';
import { TrafficChart } from './chart';
import { playLive, watchPlayback } from './playback';
import { formatBytes, formatUsd, savedUsd } from './costs';
import { PRICES } from '../../lib/costs/prices';
import { BOUNDS, isPushedPlaylist, type PushedPlaylist } from '../../lib/protocol';

export interface PageConfig {
  stream: string;
  signalingPath: string;
  master: string;
  startRendition?: string;
  /** The latest master and start-rendition playlists, inlined by the node. */
  playlists?: PushedPlaylist[];
  /** Test and bench hook: keep only ICE candidates matching this regular expression. */
  candidatePattern?: string;
}

function readConfig(): PageConfig {
  const element = document.getElementById('relaycast-config');
  const parsed = JSON.parse(element?.textContent ?? '{}') as PageConfig;
  const query = new URLSearchParams(location.search);
  if (query.get('candidates')) parsed.candidatePattern = query.get('candidates')!;
  // Inlined playlists are used before the socket joins: only copies of the protocol's shape are.
  parsed.playlists = Array.isArray(parsed.playlists) ? parsed.playlists.filter(isPushedPlaylist) : undefined;
  return parsed;
}

/**
 * A supporter's token, given in the link's fragment (`…/live/demo/#supporter=<token>`: a fragment
 * never reaches a server log or a Referer), kept for this tab only and removed from the address bar.
 */
function supporterToken(): string | undefined {
  const match = new RegExp(`(?:^#|&)supporter=([^&]{${BOUNDS.tokenMinChars},${BOUNDS.tokenMaxChars}})`).exec(location.hash);
  if (match) {
    sessionStorage.setItem('relaycast.supporterToken', decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('relaycast.supporterToken') ?? undefined;
}

function text(id: string, value: string): void {
  const element = document.getElementById(id);
  if (element && element.textContent !== value) element.textContent = value;
}

export function startViewer(): void {
  const config = readConfig();
  const video = document.getElementById('video') as HTMLVideoElement;
  text('stream-name', config.stream);
  const masterUrl = new URL(config.master, location.href).toString();

  if (!Hls.isSupported()) {
    if (video.canPlayType('application/vnd.apple.mpegurl')) video.src = masterUrl;
    text('mode', 'native HLS');
    return;
  }
  const pattern = config.candidatePattern ? new RegExp(config.candidatePattern) : undefined;
  // ?relaycast=0 plays with plain hls.js over HTTP (the baseline the swarm benchmark compares with).
  const plain = new URLSearchParams(location.search).get('relaycast') === '0';
  // ?upload=0: this viewer never uploads (a metered or phone link; the network lab's homes use it).
  const uploadOff = new URLSearchParams(location.search).get('upload') === '0';
  const relaycast = plain
    ? undefined
    : relaycastHlsConfig({
        signalingUrl: config.signalingPath,
        stream: config.stream,
        startRendition: config.startRendition,
        initialPlaylists: config.playlists,
        supporterToken: supporterToken(),
        candidateFilter: pattern ? (c) => pattern.test(c) : undefined,
        ...(uploadOff ? { upload: false } : {}),
      });
  const session = relaycast?.session;
  const hls = new Hls(relaycast ? relaycast.config : { liveSyncDurationCount: 3, maxLiveSyncPlaybackRate: 1.05 });
  session?.attach(hls as never);
  const playback = watchPlayback(video, hls);
  playLive(hls, video, masterUrl, () => text('mode', 'waiting for the stream…'));

  // The prices in the note come from the one place that holds them (lib/costs/prices.ts).
  text('price-egress', `$${PRICES.ec2.egressPerGB}/GB`);
  text('price-class-b', `$${PRICES.r2.classBPerMillion} per million`);
  const chart = new TrafficChart(document.getElementById('chart')!);
  const render = (): void => {
    const s: RelaycastStats | undefined = session?.stats();
    text('mode', s ? (s.webrtc ? (s.joined ? (s.role === 'supporter' ? 'P2P · supporter' : 'P2P') : 'connecting…') : 'HTTP only (no WebRTC)') : 'HTTP');
    if (!s) return;
    text('share', `${Math.round(s.p2pShare * 100)}%`);
    (document.getElementById('share-bar') as HTMLElement).style.width = `${Math.round(s.p2pShare * 100)}%`;
    text('from-peers', formatBytes(s.p2pBytes));
    text('from-http', formatBytes(s.httpBytes));
    text('peers', String(s.peers));
    text('uploaded', formatBytes(s.uploadedBytes));
    text('stalls', String(s.stalls));
    text('latency', s.latencyMs !== undefined ? `${(s.latencyMs / 1000).toFixed(1)} s` : '–');
    const saved = savedUsd(s.p2pBytes, s.p2pSegments);
    text('saved', formatUsd(saved.egress + saved.reads));
    chart.add(performance.now(), s.p2pBytes, s.httpBytes);
  };
  setInterval(render, 1000);
  render();
  (window as unknown as { relaycastViewer: unknown }).relaycastViewer = { hls, session, chart, playback, stats: () => session?.stats() };
}
