// The live encoder of the swarm benches (viewer-swarm, synthetic-scale): a real ffmpeg in real time
// (640x360, ~0.9 Mb/s, 2 s segments; or a three-rung ladder), else the demo encoder replaying the
// ts-single fixture (~0.4 Mb/s) when ffmpeg is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';

export interface LiveEncoder {
  kind: string;
  stop(): Promise<void>;
}

/** ffmpeg's live test pattern and tone, in real time: the input of both encoder profiles. */
const TEST_SOURCE = '-hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=1000:sample_rate=48000'.split(' ');
/** x264 with a 2 s GOP (keyframes aligned across renditions), AAC, and a 6-segment live HLS window. */
const X264 = '-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 60 -keyint_min 60 -sc_threshold 0'.split(' ');
const LIVE_HLS = '-c:a aac -b:a 64k -f hls -hls_time 2 -hls_list_size 6 -hls_flags delete_segments+program_date_time+independent_segments'.split(' ');

function spawnFfmpeg(args: string[], kind: string): LiveEncoder {
  const ffmpeg: ChildProcess = spawn('ffmpeg', [...TEST_SOURCE, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    kind,
    stop: () =>
      new Promise((resolve) => {
        ffmpeg.once('exit', () => resolve());
        ffmpeg.kill('SIGINT');
      }),
  };
}

export function startLiveEncoder(dir: string, ladder = false): LiveEncoder {
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
  if (ladder) {
    if (!hasFfmpeg) throw new Error('--ladder needs ffmpeg (apt-get install -y ffmpeg)');
    const ladder = [
      ...['-filter_complex', '[0:v]split=3[v0][v1in][v2in];[v1in]scale=480:270[v1];[v2in]scale=320:180[v2]'],
      ...'-map [v0] -map [v1] -map [v2] -map 1:a -map 1:a -map 1:a'.split(' '),
      ...X264,
      ...'-b:v:0 1400k -maxrate:v:0 1500k -bufsize:v:0 3000k'.split(' '),
      ...'-b:v:1 600k -maxrate:v:1 650k -bufsize:v:1 1300k'.split(' '),
      ...'-b:v:2 270k -maxrate:v:2 300k -bufsize:v:2 600k'.split(' '),
      ...LIVE_HLS,
      ...['-master_pl_name', 'master.m3u8', '-var_stream_map', 'v:0,a:0 v:1,a:1 v:2,a:2'],
      ...['-hls_segment_filename', path.join(dir, '%v', 'seg_%05d.ts'), path.join(dir, '%v', 'index.m3u8')],
    ];
    return spawnFfmpeg(ladder, 'ffmpeg ladder 640x360/480x270/320x180 at 1.4 Mb/s / 600 kb/s / 270 kb/s');
  }
  if (hasFfmpeg) {
    const single = [
      ...X264,
      ...'-b:v 850k -maxrate 900k -bufsize 1800k'.split(' '),
      ...LIVE_HLS,
      ...['-hls_segment_filename', path.join(dir, 'seg_%05d.ts'), path.join(dir, 'index.m3u8')],
    ];
    return spawnFfmpeg(single, 'ffmpeg 640x360 ~0.9 Mb/s');
  }
  const encoder = new DemoEncoder({ fixture: path.resolve(__dirname, '../../test/fixtures/hls/ts-single'), outDir: dir, speed: 1, loop: true });
  void encoder.start();
  return { kind: 'demo encoder ts-single ~0.4 Mb/s', stop: () => encoder.stop() };
}
