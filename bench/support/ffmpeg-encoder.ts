// A real live encoder for the outside try: `ffmpeg -re -f hls` writing a test pattern in real time
// into a folder, with every segment kept listed and on disk (-hls_list_size 0, no delete_segments),
// in one of the profiles an operator may run. Each run (start … graceful stop) names its segments
// after the run and starts its timestamps at the run's wall-clock offset, as a restarted encoder
// would, so no two runs write the same bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { seededRandom } from '../../devtools/fault-proxy/seeded-random';
import type { WrittenSegment } from '../../test/support/delivery-check';

export type Profile = 'ts' | 'fmp4' | 'abr3' | 'vargop';

/** Rendition ids as hls-watch names them: "main" for one media playlist, the %v folders for three. */
export function renditionsOf(profile: Profile): string[] {
  return profile === 'abr3' ? ['0', '1', '2'] : ['main'];
}

export interface EncoderOptions {
  profile: Profile;
  outDir: string;
  /** -hls_time, seconds. */
  segmentSeconds: number;
  seed?: number;
}

export interface EncoderRun {
  index: number;
  child: ChildProcess;
  /** Resolves with ffmpeg's exit code. */
  exited: Promise<number | null>;
  /** performance.now() of the run's first segment listing (undefined until then). */
  firstListedAt?: number;
  stderr(): string;
}

/** Irregular keyframe times (0.6–1.8 s apart) so that -hls_time cuts segments of varying length. */
function irregularKeyframes(seconds: number, seed: number): string {
  const random = seededRandom(seed);
  const times: string[] = ['0'];
  for (let t = 0; t < seconds;) {
    t += 0.6 + Math.round(random() * 12) / 10;
    times.push(t.toFixed(1));
  }
  return times.join(',');
}

function ffmpegArgs(o: EncoderOptions, run: number, tsOffset: number, out: string): string[] {
  const input = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25'];
  const gop = String(Math.round(25 * o.segmentSeconds));
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  const fixedGop = ['-g', gop, '-keyint_min', gop, '-sc_threshold', '0'];
  const hls = ['-f', 'hls', '-hls_time', String(o.segmentSeconds), '-hls_list_size', '0', '-output_ts_offset', tsOffset.toFixed(3)];
  const prefix = `r${run}_`;
  switch (o.profile) {
    case 'ts':
      return [...input, ...x264, ...fixedGop, ...hls, '-hls_segment_filename', path.join(out, `${prefix}%05d.ts`), path.join(out, 'index.m3u8')];
    case 'fmp4':
      return [
        ...input,
        ...x264,
        ...fixedGop,
        ...hls,
        '-hls_segment_type',
        'fmp4',
        '-hls_fmp4_init_filename',
        `${prefix}init.mp4`,
        '-hls_segment_filename',
        path.join(out, `${prefix}%05d.m4s`),
        path.join(out, 'index.m3u8'),
      ];
    case 'vargop':
      return [
        ...input,
        ...x264,
        '-g',
        '250',
        '-keyint_min',
        '1',
        '-sc_threshold',
        '0',
        '-force_key_frames',
        irregularKeyframes(600, (o.seed ?? 14) + run),
        ...hls,
        '-hls_segment_filename',
        path.join(out, `${prefix}%05d.ts`),
        path.join(out, 'index.m3u8'),
      ];
    case 'abr3':
      return [
        ...input,
        '-filter_complex',
        '[0:v]split=3[a][b][c];[a]null[v0];[b]scale=256:144[v1];[c]scale=160:90[v2]',
        '-map',
        '[v0]',
        '-map',
        '[v1]',
        '-map',
        '[v2]',
        ...x264,
        ...fixedGop,
        '-b:v:0',
        '400k',
        '-b:v:1',
        '250k',
        '-b:v:2',
        '120k',
        ...hls,
        '-var_stream_map',
        'v:0 v:1 v:2',
        '-master_pl_name',
        'master.m3u8',
        '-hls_segment_filename',
        path.join(out, '%v', `${prefix}%05d.ts`),
        path.join(out, '%v', 'index.m3u8'),
      ];
  }
}

/** Runs ffmpeg runs one after the other into one folder, and says what each wrote. */
export class FfmpegEncoder {
  private runs: EncoderRun[] = [];
  private current?: EncoderRun;
  private watchers: FSWatcher[] = [];
  private readonly started = Date.now();
  /** performance.now() of the latest change to a media playlist (the encoder listing a segment). */
  lastListedAt = 0;
  /** Every distinct EXT-X-TARGETDURATION the encoder declared, in order (ffmpeg raises it as it goes). */
  readonly targetDurations: number[] = [];
  /** Windows in which no encoder run was producing: [stop asked, next run's first listing]. */
  readonly idle: Array<{ from: number; to?: number }> = [];

  constructor(private readonly options: EncoderOptions) {
    mkdirSync(options.outDir, { recursive: true });
    for (const r of renditionsOf(options.profile)) if (r !== 'main') mkdirSync(path.join(options.outDir, r), { recursive: true });
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  start(): EncoderRun {
    if (this.current) throw new Error('an encoder run is already going');
    const index = this.runs.length + 1;
    const tsOffset = (Date.now() - this.started) / 1000;
    const child = spawn('ffmpeg', ffmpegArgs(this.options, index, tsOffset, this.options.outDir), { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      err = (err + c).slice(-20_000);
    });
    child.stdin!.on('error', () => undefined);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', (e) => {
        err += String(e);
        resolve(-1);
      });
    });
    const run: EncoderRun = { index, child, exited, stderr: () => err };
    this.runs.push(run);
    this.current = run;
    this.watchPlaylists(run);
    return run;
  }

  /** Graceful stop, as an operator's `q`: ffmpeg finishes the segment and writes EXT-X-ENDLIST. */
  async stop(): Promise<void> {
    const run = this.current;
    if (!run) return;
    this.idle.push({ from: performance.now() });
    run.child.stdin!.end('q');
    const timer = setTimeout(() => run.child.kill('SIGINT'), 5000);
    await run.exited;
    clearTimeout(timer);
    this.current = undefined;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Every segment each run wrote, per rendition, in order, from the runs' final playlists. */
  written(): Map<string, WrittenSegment[]> {
    const out = new Map<string, WrittenSegment[]>();
    for (const rendition of renditionsOf(this.options.profile)) {
      const dir = rendition === 'main' ? this.options.outDir : path.join(this.options.outDir, rendition);
      const list: WrittenSegment[] = [];
      for (const run of this.runs) {
        const names = this.segmentsOfRun(dir, run.index);
        for (const name of names) {
          list.push({
            name: `${rendition}/${name}`,
            sha256: createHash('sha256')
              .update(readFileSync(path.join(dir, name)))
              .digest('hex'),
          });
        }
      }
      out.set(rendition, list);
    }
    return out;
  }

  /** The init sections the runs wrote (fMP4), by sha256. */
  inits(): Set<string> {
    const out = new Set<string>();
    for (const run of this.runs) {
      const file = path.join(this.options.outDir, `r${run.index}_init.mp4`);
      if (existsSync(file)) out.add(createHash('sha256').update(readFileSync(file)).digest('hex'));
    }
    return out;
  }

  /** The EXTINF durations ffmpeg wrote (all runs, first rendition). */
  durations(): number[] {
    const rendition = renditionsOf(this.options.profile)[0];
    const file = path.join(rendition === 'main' ? this.options.outDir : path.join(this.options.outDir, rendition), 'index.m3u8');
    return existsSync(file) ? parseMediaPlaylist(readFileSync(file, 'utf8')).segments.map((s) => s.duration) : [];
  }

  allStderr(): string {
    return this.runs.map((r) => r.stderr()).join('');
  }

  /** Segment names of one run, from its last listing (the next run overwrites index.m3u8). */
  private segmentsOfRun(dir: string, run: number): string[] {
    return this.runPlaylists.get(`${dir}#${run}`) ?? [];
  }

  // A run's final listing, kept when it ends (the next run overwrites index.m3u8).
  private readonly runPlaylists = new Map<string, string[]>();

  private watchPlaylists(run: EncoderRun): void {
    for (const rendition of renditionsOf(this.options.profile)) {
      const dir = rendition === 'main' ? this.options.outDir : path.join(this.options.outDir, rendition);
      const remember = (): void => {
        try {
          const playlist = parseMediaPlaylist(readFileSync(path.join(dir, 'index.m3u8'), 'utf8'));
          const td = playlist.targetDuration;
          if (td !== undefined && this.targetDurations[this.targetDurations.length - 1] !== td) this.targetDurations.push(td);
          const uris = playlist.segments.map((s) => s.uri).filter((u) => u.startsWith(`r${run.index}_`));
          if (uris.length > 0) this.runPlaylists.set(`${dir}#${run.index}`, uris);
        } catch {
          /* between ffmpeg's temp file and its rename */
        }
      };
      const watcher = watch(dir, (_event, name) => {
        if (!name || !String(name).startsWith('index.m3u8')) return;
        this.lastListedAt = performance.now();
        if (run.firstListedAt === undefined) {
          run.firstListedAt = this.lastListedAt;
          const open = this.idle[this.idle.length - 1];
          if (open && open.to === undefined) open.to = this.lastListedAt;
        }
        remember();
      });
      watcher.on('error', () => undefined);
      this.watchers.push(watcher);
      void run.exited.then(remember);
    }
  }
}
