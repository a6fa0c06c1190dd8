/**
 * The ffmpeg command line of one publish: listen for one connection on a loopback port (the gate
 * relays the publisher to it) and write a live HLS stream into the output folder that an hls-watch
 * node watches.
 *
 * - RTMP: `-listen 1 -i rtmp://…` (the stream key is checked by the gate, never given to ffmpeg).
 * - SRT: the input is an ffconcat script read from stdin (lib/ingest/srt-passphrase.ts), so the
 *   passphrase libsrt checks is never on this command line.
 *
 * - copy (the default): the publisher's H.264/AAC as they are, cut at its keyframes: no transcode,
 *   near-zero CPU; one media playlist, `index.m3u8`, rendition `main` for hls-watch.
 * - ladder: each rung encoded with x264, keyframes forced at every segment boundary on the same
 *   media times in every rung (aligned, so a player can switch at any segment), a master playlist
 *   and one folder per rung.
 *
 * Segment files carry the launch id, so a publish after a reconnect never rewrites a file name
 * hls-watch has already read (it sees a new session and marks a discontinuity).
 */
import path from 'node:path';
import type { Rung } from './ladder';

export interface FfmpegPlan {
  protocol: 'rtmp' | 'srt';
  /** The loopback port ffmpeg listens on for the relayed publisher (TCP for RTMP, UDP for SRT). */
  listenPort: number;
  outDir: string;
  /** Unique per launch, [a-z0-9]. */
  launchId: string;
  segmentSeconds: number;
  /** Segments kept in each playlist (older ones are deleted). */
  listSize: number;
  /** Empty: copy mode. */
  ladder: readonly Rung[];
}

/** What copy mode's folder holds, and where ladder mode puts each rung. */
export const MEDIA_PLAYLIST = 'index.m3u8';
export const MASTER_PLAYLIST = 'master.m3u8';

function inputArgs(plan: FfmpegPlan): string[] {
  if (plan.protocol === 'srt')
    // -safe 0: the script names a URL; the whitelist lets the script (pipe) open srt over udp only.
    return ['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'pipe,srt,udp', '-i', 'pipe:0'];
  return [
    '-listen',
    '1',
    // Generous: OBS's first packets can be late after a slow connect.
    '-rw_timeout',
    '15000000',
    '-i',
    `rtmp://127.0.0.1:${plan.listenPort}/live/relaycast`,
  ];
}

export function ffmpegArgs(plan: FfmpegPlan): string[] {
  const input = [
    '-hide_banner',
    // No keyboard commands: stdin carries the SRT input script, or nothing.
    '-nostdin',
    // Warnings would echo the publish name (the stream key) into stderr.
    '-loglevel',
    'error',
    '-progress',
    'pipe:1',
    '-stats_period',
    '1',
    ...inputArgs(plan),
  ];
  const hls = [
    '-f',
    'hls',
    '-hls_time',
    String(plan.segmentSeconds),
    '-hls_list_size',
    String(plan.listSize),
    '-hls_delete_threshold',
    '2',
    '-hls_flags',
    // temp_file: segments appear under their name only when complete (hls-watch ignores *.tmp).
    'independent_segments+delete_segments+program_date_time+temp_file',
  ];
  if (plan.ladder.length === 0) {
    return [
      ...input,
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c',
      'copy',
      ...hls,
      '-hls_segment_filename',
      path.join(plan.outDir, `${plan.launchId}-%05d.ts`),
      path.join(plan.outDir, MEDIA_PLAYLIST),
    ];
  }
  const n = plan.ladder.length;
  const split = `[0:v]split=${n}${plan.ladder.map((_, i) => `[s${i}]`).join('')}`;
  const scales = plan.ladder.map((rung, i) => `[s${i}]scale=-2:${rung.height}[v${i}]`);
  const perRung = plan.ladder.flatMap((rung, i) => [
    `-b:v:${i}`,
    `${rung.videoKbps}k`,
    `-maxrate:v:${i}`,
    `${rung.videoKbps}k`,
    `-bufsize:v:${i}`,
    `${rung.videoKbps * 2}k`,
  ]);
  return [
    ...input,
    '-filter_complex',
    [split, ...scales].join(';'),
    ...plan.ladder.flatMap((_, i) => ['-map', `[v${i}]`]),
    ...plan.ladder.flatMap(() => ['-map', '0:a:0']),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    ...perRung,
    // A keyframe exactly at every segment boundary, in every rung, and nowhere else.
    '-force_key_frames',
    `expr:gte(t,n_forced*${plan.segmentSeconds})`,
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    ...hls,
    '-var_stream_map',
    plan.ladder.map((rung, i) => `v:${i},a:${i},name:${rung.name}`).join(' '),
    '-master_pl_name',
    MASTER_PLAYLIST,
    '-hls_segment_filename',
    path.join(plan.outDir, '%v', `${plan.launchId}-%05d.ts`),
    path.join(plan.outDir, '%v', MEDIA_PLAYLIST),
  ];
}
