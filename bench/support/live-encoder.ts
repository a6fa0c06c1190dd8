// The live encoders of the swarm benches: a real ffmpeg writing live HLS in real time from its
// test pattern (2 s segments by default, 1 s for the low-latency mode; 6-segment window), or the demo encoder replaying a fixture where
// ffmpeg is missing; and the LL-HLS one, ffmpeg's 1/3 s parts packaged into 1 s segments.
// Shared by bench/viewer-swarm.ts, bench/netlab.ts and bench/synthetic-scale.ts, and the LL-HLS spec.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { PartPackaging } from '../../lib/ll-hls/part-packaging';

export interface LiveEncoder {
  kind: string;
  /** Nominal media bitrate in bits per second (video + audio), for ceilings. */
  bitrate: number;
  stop(): Promise<void>;
}

/** '360p': the demo-like 0.9 Mb/s; '720p': 2.7 Mb/s, where uplinks matter; 'ladder': three rungs. */
export type EncoderProfile = '360p' | '720p' | 'ladder';

/** ffmpeg's live test pattern and tone, in real time: the input of every profile. */
const testSource = (size: string): string[] =>
  `-hide_banner -loglevel error -re -f lavfi -i testsrc2=size=${size}:rate=30 -f lavfi -i sine=frequency=1000:sample_rate=48000`.split(' ');
/** x264 with one GOP per segment (keyframes aligned across renditions), AAC, and a 6-segment live HLS window. */
const x264 = (segmentSeconds: number): string[] => {
  const gop = String(30 * segmentSeconds);
  return ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0'];
};
const liveHls = (segmentSeconds: number): string[] =>
  `-c:a aac -b:a 64k -f hls -hls_time ${segmentSeconds} -hls_list_size 6 -hls_flags delete_segments+program_date_time+independent_segments`.split(' ');

function spawnFfmpeg(size: string, args: string[], kind: string, bitrate: number): LiveEncoder {
  const ffmpeg: ChildProcess = spawn('ffmpeg', [...testSource(size), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    kind,
    bitrate,
    stop: () =>
      new Promise((resolve) => {
        if (ffmpeg.exitCode !== null || ffmpeg.signalCode !== null) return resolve();
        ffmpeg.once('exit', () => resolve());
        ffmpeg.kill('SIGINT');
      }),
  };
}

/** LL-HLS parts: a third of a second, ten frames at 30 fps (PART-TARGET). */
export const PART_SECONDS = 1 / 3;

/**
 * LL-HLS from ffmpeg: 1/3 s MPEG-TS parts cut by time (split_by_time) into a staging folder, a
 * keyframe forced every second and no B-frames (a B-frame delays the cut: parts came out 0.4 /
 * 0.267 / 0.333 s with them), packaged into 1 s segments in `dir` by lib/ll-hls/part-packaging.ts.
 */
export function startPartEncoder(dir: string): LiveEncoder {
  if (spawnSync('ffmpeg', ['-version']).status !== 0) throw new Error('LL-HLS parts need ffmpeg (apt-get install -y ffmpeg)');
  const staging = mkdtempSync(path.join(os.tmpdir(), 'relaycast-parts-'));
  const args = [
    ...'-c:v libx264 -preset veryfast -tune zerolatency -bf 0 -pix_fmt yuv420p -g 30 -keyint_min 30 -sc_threshold 0'.split(' '),
    ...['-force_key_frames', 'expr:gte(t,n_forced*1)'],
    ...'-b:v 850k -maxrate 900k -bufsize 900k -c:a aac -b:a 64k -f hls -hls_time 0.333333 -hls_list_size 30'.split(' '),
    ...['-hls_flags', 'delete_segments+program_date_time+split_by_time+temp_file'],
    ...['-hls_segment_filename', path.join(staging, 'part_%05d.ts'), path.join(staging, 'parts.m3u8')],
  ];
  const ffmpeg = spawnFfmpeg('640x360', args, 'ffmpeg 640x360 ~0.9 Mb/s, LL-HLS 1/3 s parts in 1 s segments', 914_000);
  const packaging = new PartPackaging({
    stagingPlaylist: path.join(staging, 'parts.m3u8'),
    outDir: dir,
    partTarget: PART_SECONDS,
    targetDuration: 1,
    onError: (err) => console.error(`part packaging: ${err.message}`),
  });
  packaging.start();
  return {
    ...ffmpeg,
    stop: async () => {
      await ffmpeg.stop();
      await packaging.stop();
      rmSync(staging, { recursive: true, force: true });
    },
  };
}

const single = (dir: string, rate: string, segmentSeconds: number): string[] => [
  ...x264(segmentSeconds),
  ...rate.split(' '),
  ...liveHls(segmentSeconds),
  ...['-hls_segment_filename', path.join(dir, 'seg_%05d.ts'), path.join(dir, 'index.m3u8')],
];

/** `segmentSeconds`: 2, or 1 for the low-latency mode (ffmpeg only: the demo fixture's segments are 2 s). */
export function startLiveEncoder(dir: string, profile: EncoderProfile, segmentSeconds = 2): LiveEncoder {
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
  if (profile === 'ladder') {
    if (!hasFfmpeg) throw new Error('the ladder needs ffmpeg (apt-get install -y ffmpeg)');
    const ladder = [
      ...['-filter_complex', '[0:v]split=3[v0][v1in][v2in];[v1in]scale=480:270[v1];[v2in]scale=320:180[v2]'],
      ...'-map [v0] -map [v1] -map [v2] -map 1:a -map 1:a -map 1:a'.split(' '),
      ...x264(segmentSeconds),
      ...'-b:v:0 1400k -maxrate:v:0 1500k -bufsize:v:0 3000k'.split(' '),
      ...'-b:v:1 600k -maxrate:v:1 650k -bufsize:v:1 1300k'.split(' '),
      ...'-b:v:2 270k -maxrate:v:2 300k -bufsize:v:2 600k'.split(' '),
      ...liveHls(segmentSeconds),
      ...['-master_pl_name', 'master.m3u8', '-var_stream_map', 'v:0,a:0 v:1,a:1 v:2,a:2'],
      ...['-hls_segment_filename', path.join(dir, '%v', 'seg_%05d.ts'), path.join(dir, '%v', 'index.m3u8')],
    ];
    return spawnFfmpeg('640x360', ladder, 'ffmpeg ladder 640x360/480x270/320x180 at 1.4 Mb/s / 600 kb/s / 270 kb/s', 1_464_000);
  }
  if (hasFfmpeg && profile === '720p') {
    return spawnFfmpeg('1280x720', single(dir, '-b:v 2600k -maxrate 2700k -bufsize 5400k', segmentSeconds), 'ffmpeg 1280x720 ~2.7 Mb/s', 2_700_000);
  }
  if (hasFfmpeg) return spawnFfmpeg('640x360', single(dir, '-b:v 850k -maxrate 900k -bufsize 1800k', segmentSeconds), 'ffmpeg 640x360 ~0.9 Mb/s', 914_000);
  if (profile === '720p') throw new Error('the 720p stream needs ffmpeg (apt-get install -y ffmpeg)');
  if (segmentSeconds !== 2) throw new Error(`${segmentSeconds} s segments need ffmpeg (apt-get install -y ffmpeg)`);
  const encoder = new DemoEncoder({ fixture: path.resolve(__dirname, '../../test/fixtures/hls/ts-single'), outDir: dir, speed: 1, loop: true });
  void encoder.start();
  return { kind: 'demo encoder ts-single ~0.4 Mb/s', bitrate: 400_000, stop: () => encoder.stop() };
}
