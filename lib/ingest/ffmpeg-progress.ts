/**
 * ffmpeg's `-progress pipe:1` report: blocks of key=value lines, each closed by `progress=…`.
 * Lines are split with a bounded buffer: a line longer than MAX_LINE is cut, never accumulated.
 */
export interface FfmpegProgress {
  /** Frames per second ffmpeg is encoding or copying. */
  fps: number | undefined;
  /** Media seconds per wall second (1 keeps up with a live source). */
  speed: number | undefined;
}

const MAX_LINE = 1024;

/** Splits a byte stream into lines; holds at most MAX_LINE characters of an unfinished one. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.partial + text).split(/\r?\n|\r/);
    this.partial = lines.pop()!.slice(-MAX_LINE);
    for (const line of lines) this.onLine(line.slice(0, MAX_LINE));
  }
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Collects key=value lines; calls back with a snapshot at each `progress=` line. */
export class ProgressReader {
  private fields = new Map<string, string>();
  readonly lines = new LineSplitter((line) => this.line(line));

  constructor(private readonly onProgress: (progress: FfmpegProgress) => void) {}

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      if (this.fields.size < 64 || this.fields.has(key)) this.fields.set(key, value);
      return;
    }
    this.onProgress({
      fps: numberOf(this.fields.get('fps')),
      speed: numberOf(this.fields.get('speed')?.replace(/x$/, '')),
    });
    this.fields = new Map();
  }
}

/** The last few stderr lines, for an error message when ffmpeg fails (bounded in count and length). */
export class StderrTail {
  private readonly kept: string[] = [];
  readonly lines = new LineSplitter((line) => {
    if (line.trim() === '') return;
    this.kept.push(line);
    if (this.kept.length > 8) this.kept.shift();
  });

  text(): string {
    return this.kept.join(' | ');
  }
}
