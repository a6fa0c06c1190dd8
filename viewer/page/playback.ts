/**
 * What a viewer experiences, whatever the loader: time to first frame, stalls, latency behind live.
 * The viewer page and the benches' baseline pages (bench/support/p2pml-page.ts) measure it with
 * this one definition, so their figures compare.
 */
import Hls from 'hls.js';
import { retryDelayMs } from './stream-state';
import { JOIN_WINDOW_MS, joinSkipSeconds } from './join-skip';

export interface PlaybackFigures {
  /** When each start-up step first happened (ms since navigation): where time to first frame goes. */
  timeline: Record<string, number>;
  firstFrameMs: number | undefined;
  stalls: number;
  /** What each stall looked like (the first few): so a failing run says why, not only that. */
  stallLog: StallRecord[];
  latencySeconds: () => number;
  /** Wall-clock latency from EXT-X-PROGRAM-DATE-TIME: now minus the date of the frame on screen. */
  wallLatencyMs: () => number | undefined;
}

export interface StallRecord {
  /** ms since navigation. */
  atMs: number;
  position: number;
  /** The buffered ranges then, as "start-end" seconds. */
  buffered: string[];
  latency: number | null;
  /** The last fragments loaded before it: sequence number, ms from request to loaded, bytes. */
  recentFragments: Array<{ sn: number | string; loadMs: number; bytes: number; loadedAtMs: number }>;
}

/** Stalls recorded in detail: a handful tells the story, and the log stays bounded. */
const STALL_LOG_MAX = 5;
const RECENT_FRAGMENTS = 4;

export function watchPlayback(video: HTMLVideoElement, hls: Hls): PlaybackFigures {
  const timeline: Record<string, number> = {};
  const mark = (name: string) => () => {
    timeline[name] ??= Math.round(performance.now());
  };
  hls.on(Hls.Events.MANIFEST_LOADED, mark('master'));
  hls.on(Hls.Events.LEVEL_LOADED, mark('media'));
  hls.on(Hls.Events.FRAG_LOADING, mark('fragRequested'));
  hls.on(Hls.Events.FRAG_LOADED, mark('fragLoaded'));
  hls.on(Hls.Events.FRAG_BUFFERED, mark('fragBuffered'));
  video.addEventListener('playing', mark('playing'));
  const figures: PlaybackFigures = {
    timeline,
    firstFrameMs: undefined,
    stalls: 0,
    stallLog: [],
    latencySeconds: () => hls.latency,
    wallLatencyMs: () => (hls.playingDate ? Date.now() - hls.playingDate.getTime() : undefined),
  };
  let playing = false;
  const recentFragments: StallRecord['recentFragments'] = [];
  hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
    const { loading, loaded } = data.frag.stats;
    recentFragments.push({ sn: data.frag.sn, loadMs: Math.round(loading.end - loading.start), bytes: loaded, loadedAtMs: Math.round(loading.end) });
    if (recentFragments.length > RECENT_FRAGMENTS) recentFragments.shift();
  });
  video.addEventListener('playing', () => {
    if (figures.firstFrameMs === undefined) figures.firstFrameMs = performance.now();
    playing = true;
  });
  video.addEventListener('waiting', () => {
    if (!playing || video.seeking) return;
    figures.stalls++;
    if (figures.stallLog.length >= STALL_LOG_MAX) return;
    const buffered: string[] = [];
    for (let i = 0; i < video.buffered.length; i++) buffered.push(`${video.buffered.start(i).toFixed(2)}-${video.buffered.end(i).toFixed(2)}`);
    figures.stallLog.push({
      atMs: Math.round(performance.now()),
      position: video.currentTime,
      buffered,
      latency: hls.latency,
      recentFragments: [...recentFragments],
    });
  });
  return figures;
}

/**
 * Keeps a live player going: plays once the master is parsed (muted, so autoplay is allowed), loads
 * the master again after a fatal network error, and recovers fatal media errors. hls.js's own
 * loader has already retried by then (its manifestLoadPolicy / playlistLoadPolicy); the page's
 * re-start waits longer each time (retryDelayMs: 2 s doubling up to a minute, jittered) and starts
 * over from 2 s once the master loads again, so a viewer who opened a link before the stream began,
 * or one whose stream is gone, costs the origin a few requests a minute, not one every 2 s.
 * `onWaitingForStream(delayMs, attempt)` is told each scheduled re-start. A viewer that starts behind
 * the target latency skips forward to it in its first seconds (joinAtTargetLatency).
 */
export function playLive(
  hls: Hls,
  video: HTMLVideoElement,
  masterUrl: string,
  onWaitingForStream: (delayMs: number, attempt: number) => void,
): { joinSkips: () => number } {
  const join = joinAtTargetLatency(hls, video);
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  hls.loadSource(masterUrl);
  hls.attachMedia(video);
  video.muted = true;
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    attempt = 0;
    video.play().catch(() => {
      /* autoplay refused: the controls remain */
    });
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      if (timer !== undefined) return;
      const delay = retryDelayMs(attempt);
      onWaitingForStream(delay, attempt);
      attempt++;
      timer = setTimeout(() => {
        timer = undefined;
        hls.loadSource(masterUrl);
      }, delay);
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
    }
  });
  return { joinSkips: join.skips };
}

/**
 * In the first seconds of playback, skips forward inside the buffer to hls.js's live-sync position
 * when start-up left the viewer behind it (join-skip.ts says when and how far). Checked when a
 * fragment is buffered, which is when a skip can first keep two segments ahead, and no longer once
 * the join window has passed. Returns how many skips it made (the benches read it).
 */
export function joinAtTargetLatency(hls: Hls, video: HTMLVideoElement, now: () => number = () => performance.now()): { skips: () => number } {
  let firstFrameAt: number | undefined;
  let skips = 0;
  const check = (): void => {
    if (firstFrameAt === undefined || video.seeking || video.paused) return;
    const at = video.currentTime;
    let bufferedEnd = at;
    for (let i = 0; i < video.buffered.length; i++) if (video.buffered.start(i) <= at && at <= video.buffered.end(i)) bufferedEnd = video.buffered.end(i);
    const playingForMs = now() - firstFrameAt;
    if (playingForMs > JOIN_WINDOW_MS) return void hls.off(Hls.Events.FRAG_BUFFERED, check);
    const skip = joinSkipSeconds({
      playingForMs,
      liveSyncPosition: hls.liveSyncPosition,
      currentTime: at,
      bufferedEnd,
      targetDuration: hls.latestLevelDetails?.targetduration ?? 0,
    });
    if (skip <= 0) return;
    skips++;
    video.currentTime = at + skip;
  };
  video.addEventListener('playing', () => {
    firstFrameAt ??= now();
    check();
  });
  hls.on(Hls.Events.FRAG_BUFFERED, check);
  return { skips: () => skips };
}
