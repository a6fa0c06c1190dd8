/**
 * What a viewer experiences, whatever the loader: time to first frame, stalls, latency behind live.
 * The viewer page and the benches' baseline pages (bench/support/p2pml-page.ts) measure it with
 * this one definition, so their figures compare.
 */
import Hls from 'hls.js';
import { retryDelayMs } from './stream-state';

export interface PlaybackFigures {
  /** When each start-up step first happened (ms since navigation): where time to first frame goes. */
  timeline: Record<string, number>;
  firstFrameMs: number | undefined;
  stalls: number;
  latencySeconds: () => number;
  /** Wall-clock latency from EXT-X-PROGRAM-DATE-TIME: now minus the date of the frame on screen. */
  wallLatencyMs: () => number | undefined;
}

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
    latencySeconds: () => hls.latency,
    wallLatencyMs: () => (hls.playingDate ? Date.now() - hls.playingDate.getTime() : undefined),
  };
  let playing = false;
  video.addEventListener('playing', () => {
    if (figures.firstFrameMs === undefined) figures.firstFrameMs = performance.now();
    playing = true;
  });
  video.addEventListener('waiting', () => {
    if (playing && !video.seeking) figures.stalls++;
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
 * `onWaitingForStream(delayMs, attempt)` is told each scheduled re-start.
 */
export function playLive(hls: Hls, video: HTMLVideoElement, masterUrl: string, onWaitingForStream: (delayMs: number, attempt: number) => void): void {
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
}
