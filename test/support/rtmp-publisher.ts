// ffmpeg as OBS publishes: H.264 (a keyframe every 2 s) and AAC, in real time; RTMP carries FLV,
// SRT carries MPEG-TS (the passphrase, if any, in the srt:// URL as OBS takes it).
import { spawn, type ChildProcess } from 'node:child_process';

export interface Publisher {
  process: ChildProcess;
  /** The exit code once ffmpeg ends (null: killed). */
  exited: Promise<number | null>;
  stderr: () => string;
  stop(): Promise<void>;
}

/** The picture published: small by default (specs); a bench publishes what OBS would. */
export interface PublishedVideo {
  size: string;
  kbps?: number;
  /** Seconds between keyframes (OBS's "Keyframe Interval"); 2 by default, the ingest's segment length. */
  keyframeSeconds?: number;
}

const SPEC_VIDEO: PublishedVideo = { size: '320x180' };

export function publishRtmp(url: string, seconds: number, video = SPEC_VIDEO): Publisher {
  return publish(url, seconds, 'flv', video);
}

export function publishSrt(url: string, seconds: number, video = SPEC_VIDEO): Publisher {
  return publish(url, seconds, 'mpegts', video);
}

function publish(url: string, seconds: number, format: 'flv' | 'mpegts', video: PublishedVideo): Publisher {
  const err: string[] = [];
  const gop = String(Math.round(30 * (video.keyframeSeconds ?? 2)));
  // prettier-ignore
  const child = spawn('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc=size=${video.size}:rate=30`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    ...(video.kbps ? ['-b:v', `${video.kbps}k`, '-maxrate', `${video.kbps}k`, '-bufsize', `${video.kbps * 2}k`] : []),
    '-c:a', 'aac', '-b:a', '64k',
    '-f', format, url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => err.push(c));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    process: child,
    exited,
    stderr: () => err.join(''),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
