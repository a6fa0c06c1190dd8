/**
 * Runs the part packager beside an encoder: ffmpeg writes short MPEG-TS part files and its own
 * playlist of them into a staging folder (`-hls_time 0.333333 -hls_flags split_by_time`, a keyframe
 * every segment duration); this reads each new part once, copies it into the output folder, groups
 * the parts into segments (part-packager.ts), writes each whole segment as the concatenation of its
 * parts, and rewrites the LL-HLS playlist hls-watch follows (encoder-playlist.ts). Every file
 * appears under its final name complete (written beside it, then renamed), the playlist last.
 *
 * Why not ffmpeg's own segments: ffmpeg 5.1 cannot write a segment and its parts at once, and two
 * encodes would not give parts that are byte ranges of their segment's media.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file';
import { parsePlaylist, readPlaylistText } from '../hls-watch/playlist';
import { renderEncoderPlaylist, type ListedSegment } from './encoder-playlist';
import { packParts, segmentBytes, type PartFile } from './part-packager';
import { startsAtRandomAccess } from './ts-random-access';

export interface PartPackagingOptions {
  /** ffmpeg's playlist of part files (its folder holds the parts). */
  stagingPlaylist: string;
  /** Where the parts, the segments and `index.m3u8` are written (the folder hls-watch watches). */
  outDir: string;
  /** Seconds: the encoder's part length (at least every part's duration). */
  partTarget: number;
  /** Whole seconds: the segment length the keyframe interval gives. */
  targetDuration: number;
  /** Whole segments the playlist lists; default 6. */
  windowSegments?: number;
  /** Whole segments before the open one whose parts are listed too; default 3. */
  partsListedSegments?: number;
  /** How often the staging playlist is read, ms; default 30. */
  pollMs?: number;
  onError?: (err: Error) => void;
}

interface WrittenSegment extends ListedSegment {
  number: number;
}

export class PartPackaging {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The staging playlist's sequence of the last part taken. */
  private lastStaged = -1;
  private partNumber = 0;
  private segmentNumber = 0;
  /** Parts not yet in a whole segment, with their bytes. */
  private pending: Array<{ part: PartFile; bytes: Buffer }> = [];
  private segments: WrittenSegment[] = [];
  private ended = false;

  constructor(private readonly options: PartPackagingOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .catch((err: Error) => this.options.onError?.(err))
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.pollMs ?? 30);
  }

  /** One last pass (ffmpeg's ENDLIST closes the open segment), then stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.pass().catch((err: Error) => this.options.onError?.(err));
  }

  private async pass(): Promise<void> {
    if (this.ended) return;
    let text: string;
    try {
      text = await readPlaylistText(this.options.stagingPlaylist);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const staged = parsePlaylist(text);
    if (staged.kind !== 'media') return;
    const stagingDir = path.dirname(this.options.stagingPlaylist);
    let changed = false;
    for (const entry of staged.entries) {
      if (entry.sequence <= this.lastStaged) continue;
      this.lastStaged = entry.sequence;
      const bytes = await readFile(path.join(stagingDir, entry.uri));
      const uri = `part_${String(this.partNumber++).padStart(6, '0')}.ts`;
      await writeFileAtomic(path.join(this.options.outDir, uri), bytes);
      const part: PartFile = { uri, duration: entry.duration, independent: startsAtRandomAccess(bytes) };
      if (entry.programDateTime) part.programDateTime = entry.programDateTime;
      this.pending.push({ part, bytes });
      await this.packPending();
      changed = true;
    }
    if (staged.ended && this.pending.length > 0) {
      await this.writeSegment(this.pending);
      this.pending = [];
    }
    if (staged.ended) {
      this.ended = true;
      changed = true;
    }
    if (changed) await this.writePlaylist();
  }

  private async packPending(): Promise<void> {
    const packing = packParts(this.pending.map((p) => p.part));
    let at = packing.skipped.length;
    for (const segment of packing.segments) {
      await this.writeSegment(this.pending.slice(at, at + segment.parts.length));
      at += segment.parts.length;
    }
    for (const skipped of packing.skipped) await rm(path.join(this.options.outDir, skipped.uri), { force: true });
    this.pending = this.pending.slice(at);
  }

  private async writeSegment(parts: Array<{ part: PartFile; bytes: Buffer }>): Promise<void> {
    const number = this.segmentNumber++;
    const uri = `seg_${String(number).padStart(6, '0')}.ts`;
    await writeFileAtomic(path.join(this.options.outDir, uri), segmentBytes(parts.map((p) => p.bytes)));
    const listed = parts.map((p) => p.part);
    this.segments.push({ number, uri, parts: listed, duration: listed.reduce((sum, p) => sum + p.duration, 0) });
    // Files stay a whole window after they leave the playlist: hls-watch may still be reading them.
    const window = this.options.windowSegments ?? 6;
    while (this.segments.length > 2 * window) {
      const gone = this.segments.shift()!;
      for (const name of [gone.uri, ...gone.parts.map((p) => p.uri)]) await rm(path.join(this.options.outDir, name), { force: true });
    }
  }

  private async writePlaylist(): Promise<void> {
    const listed = this.segments.slice(-(this.options.windowSegments ?? 6));
    const text = renderEncoderPlaylist({
      mediaSequence: listed[0]?.number ?? this.segmentNumber,
      targetDuration: this.options.targetDuration,
      partTarget: this.options.partTarget,
      segments: listed,
      open: this.pending.map((p) => p.part),
      partsListedSegments: this.options.partsListedSegments ?? 3,
      ended: this.ended,
    });
    await writeFileAtomic(path.join(this.options.outDir, 'index.m3u8'), text);
  }
}
