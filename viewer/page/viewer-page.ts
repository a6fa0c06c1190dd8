/**
 * The viewer page served by relaycast-signaling at <httpNodeRoot>/live/<stream>/. Its config comes
 * inline from the node (stream, signaling path, master playlist, first rendition), so a viewer only
 * opens the URL. Where WebRTC or WebSocket is missing it is plain hls.js over HTTP.
 */
import Hls from 'hls.js';
import { relaycastHlsConfig, type RelaycastStats } from '../loader/index';
import { hasWebRtc } from '../loader/browser-platform';
import { TrafficChart } from './chart';
import { playLive, watchPlayback } from './playback';
import { formatBytes, formatUsdShort, formatUsd, savedUsd } from './costs';
import { modeText, p2pChosen, remember } from './p2p-choice';
import { StreamStateTracker, type StreamState } from './stream-state';
import { PRICES } from '../../lib/costs/prices';
import { BOUNDS, isLatencyMode, isPushedPlaylist, liveSyncConfig, type LatencyMode, type PushedPlaylist } from '../../lib/protocol';

export interface PageConfig {
  stream: string;
  signalingPath: string;
  master: string;
  startRendition?: string;
  /** The latest master and start-rendition playlists, inlined by the node. */
  playlists?: PushedPlaylist[];
  /** Test and bench hook: keep only ICE candidates matching this regular expression. */
  candidatePattern?: string;
  /** The stream's latency mode (the signaling node's setting); absent = standard. */
  latency?: LatencyMode;
}

function readConfig(): PageConfig {
  const element = document.getElementById('relaycast-config');
  const parsed = JSON.parse(element?.textContent ?? '{}') as PageConfig;
  const query = new URLSearchParams(location.search);
  if (query.get('candidates')) parsed.candidatePattern = query.get('candidates')!;
  // Inlined playlists are used before the socket joins: only copies of the protocol's shape are.
  parsed.playlists = Array.isArray(parsed.playlists) ? parsed.playlists.filter(isPushedPlaylist) : undefined;
  if (!isLatencyMode(parsed.latency)) parsed.latency = 'standard';
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

/** localStorage, or nothing where the page may not use it (a sandboxed frame throws on access). */
function pageStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** The badge and the line beside it, per state: red LIVE only while the stream really plays. */
const STATE_WORDS: Record<StreamState, { badge: string; status: string }> = {
  starting: { badge: 'starting', status: 'Starting…' },
  offline: { badge: 'offline', status: 'Not started yet, or offline. This page keeps checking and starts by itself.' },
  live: { badge: 'live', status: '' },
  stalled: { badge: 'stalled', status: 'Stalled: waiting for the next part of the video…' },
  ended: { badge: 'ended', status: 'The stream has ended.' },
};
const STOPPED_STATUS = 'The stream stopped. This page picks it up again if it comes back.';

/** The sharing toggle: the choice is remembered and the page reloads without any ?p2p= in its address. */
function wireToggle(chosen: boolean, storage: Storage | undefined): void {
  const toggle = document.getElementById('p2p-toggle') as HTMLInputElement | null;
  if (!toggle) return;
  toggle.checked = chosen;
  toggle.addEventListener('change', () => {
    remember(storage, toggle.checked);
    const url = new URL(location.href);
    url.searchParams.delete('p2p');
    location.replace(url.toString());
  });
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
  const query = new URLSearchParams(location.search);
  // ?relaycast=0 plays with plain hls.js over HTTP (the baseline the swarm benchmark compares with).
  const plain = query.get('relaycast') === '0';
  // ?upload=0: this viewer never uploads (a metered or phone link; the network lab's homes use it).
  const uploadOff = query.get('upload') === '0';
  const storage = pageStorage();
  const chosen = p2pChosen(location.search, storage);
  wireToggle(chosen, storage);
  const relaycast = plain
    ? undefined
    : relaycastHlsConfig({
        signalingUrl: config.signalingPath,
        stream: config.stream,
        startRendition: config.startRendition,
        initialPlaylists: config.playlists,
        latency: config.latency,
        supporterToken: supporterToken(),
        candidateFilter: pattern ? (c) => pattern.test(c) : undefined,
        ...(uploadOff ? { upload: false } : {}),
        ...(chosen ? {} : { p2p: false }),
      });
  const session = relaycast?.session;
  // The plain player (?relaycast=0, the benchmark's baseline) sits as far behind live as the loader.
  const hls = new Hls(relaycast ? relaycast.config : liveSyncConfig(config.latency));
  session?.attach(hls as never);
  const playback = watchPlayback(video, hls);
  const tracker = new StreamStateTracker();
  let restarts = 0;
  hls.on(Hls.Events.MANIFEST_PARSED, () => tracker.manifestLoaded());
  hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => tracker.playlist(data.details, performance.now()));
  const live = playLive(hls, video, masterUrl, () => {
    restarts++;
    tracker.networkLost();
    render();
  });

  // The prices in the note come from the one place that holds them (lib/costs/prices.ts).
  text('price-egress', `$${PRICES.ec2.egressPerGB}/GB`);
  text('latency-mode', config.latency === 'low' ? 'low (1 s segments)' : 'standard');
  text('price-class-b', `$${PRICES.r2.classBPerMillion} per million`);
  const chart = new TrafficChart(document.getElementById('chart')!);
  const badge = document.getElementById('badge')!;
  const shareBar = document.getElementById('share-bar')!;
  const saved = document.getElementById('saved')!;
  let shownShare = -1;
  let alonePlayingMs = 0;
  let lastRenderAt = performance.now();

  const renderState = (state: StreamState): void => {
    if (badge.dataset.state !== state) badge.dataset.state = state;
    text('badge', STATE_WORDS[state].badge);
    text('status', tracker.endedBy === 'stopped' ? STOPPED_STATUS : STATE_WORDS[state].status);
  };

  // Once a second; only what changed is written, and nothing while the tab is hidden.
  function render(): void {
    const now = performance.now();
    const state = tracker.tick(video.currentTime, video.paused, now);
    const s: RelaycastStats | undefined = session?.stats();
    alonePlayingMs = s && s.joined && s.peers === 0 && state === 'live' ? alonePlayingMs + (now - lastRenderAt) : 0;
    lastRenderAt = now;
    if (s) chart.add(now, s.p2pBytes, s.httpBytes);
    if (document.visibilityState === 'hidden') return;
    renderState(state);
    text(
      'mode',
      modeText({
        relaycast: !plain,
        chosen,
        webrtc: s ? s.webrtc : hasWebRtc(),
        joined: s?.joined ?? false,
        supporter: s?.role === 'supporter',
        peers: s?.peers ?? 0,
        alonePlayingMs,
      }),
    );
    // "Behind live" only means something while the stream plays live.
    text('latency', state === 'live' && s?.latencyMs !== undefined ? `${(s.latencyMs / 1000).toFixed(1)} s` : '–');
    if (!s) return;
    const share = Math.round(s.p2pShare * 100);
    text('share', `${share}%`);
    if (share !== shownShare) {
      shownShare = share;
      shareBar.style.transform = `scaleX(${share / 100})`;
    }
    text('from-peers', formatBytes(s.p2pBytes));
    text('from-http', formatBytes(s.httpBytes));
    text('peers', String(s.peers));
    text('uploaded', formatBytes(s.uploadedBytes));
    text('stalls', String(s.stalls));
    const usd = savedUsd(s.p2pBytes, s.p2pSegments);
    const total = usd.egress + usd.reads;
    text('saved', formatUsdShort(total));
    const exact = `${formatUsd(total)} saved so far`;
    if (saved.title !== exact) saved.title = exact;
  }
  setInterval(render, 1000);
  render();
  const status = () => ({ state: tracker.state, endedBy: tracker.endedBy, restarts, p2pChosen: chosen });
  (window as unknown as { relaycastViewer: unknown }).relaycastViewer = {
    hls,
    session,
    chart,
    playback,
    status,
    joinSkips: live.joinSkips,
    stats: () => session?.stats(),
  };
}
