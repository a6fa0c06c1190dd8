/**
 * An append-only file of JSON lines whose valid length is recorded in the state file that refers
 * to it (LogRef), so the state file stays the one source of truth: lines are fsynced before a state
 * that counts them is written, and whatever lies past the recorded length (a line torn by a crash,
 * or whole lines written just before a crash whose state file never said so) is ignored on reading
 * and cut off before the next append. Reading a recorded range that is not there, or not JSON, is
 * damage and throws with the owner's code.
 *
 * A file is created whole through writeFileAtomic (temp file, fsync, rename, fsync of the folder,
 * so its name is durable before any state names it), then appended in place at its recorded
 * length. Compaction writes a new generation (`<prefix>.history-<n>.jsonl`) the same way; an older
 * generation is deleted only after a state naming the newer one is on disk (afterWrite).
 *
 * Planning (append/replace) is synchronous, at the moment a state is serialised, and returns the
 * LogRef that state records; flush() writes what was planned, in order. The caller runs flush()
 * and afterWrite() in its state writer's turn (StateFile's beforeWrite/afterWrite), which never
 * overlaps itself.
 */
import { readFileSync, readdirSync, renameSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { RelaycastError } from '../errors';

/** What a state records of its log: the file's name (in the state's folder) and its valid length. */
export interface LogRef {
  file: string;
  bytes: number;
}

const NAME = /^[A-Za-z0-9._-]+\.history-(\d+)\.jsonl$/;

export class JsonLinesLog {
  /** What is fsynced (and named durably), and how many lines that is. */
  private onDisk: (LogRef & { lines: number }) | undefined;
  /** What the newest plan refers to: onDisk plus what flush() has still to write. */
  private planned: (LogRef & { lines: number }) | undefined;
  /** A new file to create whole (first file, compaction); later appends are added to its text. */
  private rewrite: { file: string; text: string } | undefined;
  /** Text to add to the planned file after what is (or will be, once `rewrite` lands) on disk. */
  private appendText = '';
  private generation = 0;
  /** Files no state on disk will name once the next write is done: deleted by afterWrite(). */
  private readonly stale = new Set<string>();
  /** A write failed: the caller should replace() rather than append to a file in an unknown state. */
  private failed = false;

  constructor(
    private readonly dir: string,
    /** File names are `<prefix>.history-<n>.jsonl`. */
    private readonly prefix: string,
    /** Code of a damaged log (the owner's state code, e.g. E_MANIFEST_STATE), and what it keeps. */
    private readonly code: string,
    private readonly what = 'state',
  ) {}

  /** The ref a state serialised now must record; undefined while there is no log. */
  ref(): LogRef | undefined {
    return this.planned && { file: this.planned.file, bytes: this.planned.bytes };
  }

  /** Lines the planned file holds (live or not), for the owner's compaction rule. */
  lineCount(): number {
    return this.planned?.lines ?? 0;
  }

  /** A write failed since the last replace(): appending again would build on an unknown file. */
  wantsReplace(): boolean {
    return this.failed;
  }

  /** Plans lines to be appended (a first file is created whole); returns the ref to record. */
  append(lines: readonly string[]): LogRef | undefined {
    if (lines.length === 0) return this.ref();
    if (!this.planned) return this.replace(lines);
    const text = lines.map((l) => `${l}\n`).join('');
    if (this.rewrite) this.rewrite.text += text;
    else this.appendText += text;
    this.planned = { file: this.planned.file, bytes: this.planned.bytes + Buffer.byteLength(text), lines: this.planned.lines + lines.length };
    return this.ref();
  }

  /** Plans a new generation holding just `lines` (compaction); what was planned before is dropped. */
  replace(lines: readonly string[]): LogRef {
    const text = lines.map((l) => `${l}\n`).join('');
    if (this.planned) this.stale.add(this.planned.file);
    this.generation += 1;
    const file = `${this.prefix}.history-${this.generation}.jsonl`;
    this.rewrite = { file, text };
    this.appendText = '';
    this.failed = false;
    this.planned = { file, bytes: Buffer.byteLength(text), lines: lines.length };
    return { file, bytes: this.planned.bytes };
  }

  /** Writes what was planned, in order; on failure keeps it planned (and says wantsReplace). */
  async flush(): Promise<void> {
    const rewrite = this.rewrite;
    const text = this.appendText;
    if (!rewrite && !text) return;
    this.rewrite = undefined;
    this.appendText = '';
    let rewritten = false;
    try {
      if (rewrite) {
        await writeFileAtomic(path.join(this.dir, rewrite.file), rewrite.text);
        if (this.onDisk && this.onDisk.file !== rewrite.file) this.stale.add(this.onDisk.file);
        this.onDisk = { file: rewrite.file, bytes: Buffer.byteLength(rewrite.text), lines: countLines(rewrite.text) };
        rewritten = true;
      }
      if (text) {
        const target = this.onDisk!;
        await appendAt(path.join(this.dir, target.file), target.bytes, text);
        this.onDisk = { file: target.file, bytes: target.bytes + Buffer.byteLength(text), lines: target.lines + countLines(text) };
      }
    } catch (err) {
      this.failed = true;
      // Unless a newer replace() superseded it, what was not written is written next time, first.
      if (!this.rewrite) {
        if (rewrite && !rewritten) {
          this.rewrite = { file: rewrite.file, text: rewrite.text + text + this.appendText };
          this.appendText = '';
        } else {
          this.appendText = text + this.appendText;
        }
      }
      throw err;
    }
  }

  /** After a state naming the file on disk was written: older generations and orphans go. */
  async afterWrite(): Promise<void> {
    for (const file of [...this.stale]) {
      if (file === this.onDisk?.file || file === this.planned?.file) continue;
      this.stale.delete(file);
      // Best effort: a file left behind is only disk space, deleted again at the next load.
      await rm(path.join(this.dir, file), { force: true }).catch(() => undefined);
    }
  }

  /**
   * The lines a state recorded, parsed. Files of this prefix it does not name are orphans (a
   * crash between a compaction and its state) and are deleted after the next write.
   */
  read(ref: LogRef): unknown[] {
    if (!NAME.test(ref.file) || !ref.file.startsWith(`${this.prefix}.history-`)) this.fail(`names an unknown history file ${JSON.stringify(ref.file)}`);
    let buf: Buffer;
    try {
      buf = readFileSync(path.join(this.dir, ref.file));
    } catch (err) {
      this.fail(`cannot read its history ${ref.file}: ${(err as Error).message}`);
    }
    if (buf.length < ref.bytes) this.fail(`history ${ref.file} holds ${buf.length} bytes, its state counts ${ref.bytes} (truncated)`);
    const text = buf.subarray(0, ref.bytes).toString('utf8');
    if (ref.bytes > 0 && !text.endsWith('\n')) this.fail(`history ${ref.file} does not end a line at byte ${ref.bytes}`);
    const lines = text.split('\n').slice(0, -1);
    const values = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return this.fail(`history ${ref.file} line ${i + 1} is damaged`);
      }
    });
    this.generation = Math.max(this.generation, Number(NAME.exec(ref.file)![1]));
    this.onDisk = { ...ref, lines: lines.length };
    this.planned = { ...this.onDisk };
    for (const file of this.files()) if (file !== ref.file) this.stale.add(file);
    return values;
  }

  /** The log files of this prefix that exist now. */
  files(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => NAME.test(n) && n.startsWith(`${this.prefix}.history-`));
  }

  /** Starts over without a log (the state that named it was lost); every file present is stale. */
  forget(): void {
    this.onDisk = undefined;
    this.planned = undefined;
    this.rewrite = undefined;
    this.appendText = '';
    this.failed = false;
    for (const file of this.files()) this.stale.add(file);
  }

  /** Moves every file of this prefix aside for inspection, then forgets them. */
  quarantine(stamp = Date.now()): void {
    for (const file of this.files()) {
      try {
        renameSync(path.join(this.dir, file), path.join(this.dir, `${file}.bad-${stamp}`));
      } catch {
        /* nothing to keep */
      }
    }
    this.forget();
  }

  /** Deletes every file of this prefix (the owner is gone). */
  async remove(): Promise<void> {
    this.forget();
    await Promise.all(this.files().map((file) => rm(path.join(this.dir, file), { force: true })));
    this.stale.clear();
  }

  private fail(message: string): never {
    throw new RelaycastError(this.code, `saved ${this.what} is unusable: ${message}`);
  }
}

const countLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
};

/**
 * Writes `text` at `offset` and fsyncs. The file is cut to `offset` first: past it lies only what a
 * crash left (a torn line, or lines no state counts), which must not follow the new lines.
 * Positional writes, not O_APPEND: the offset is the recorded one, whatever the file's size.
 */
async function appendAt(file: string, offset: number, text: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(offset);
    const buf = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await handle.write(buf, written, buf.length - written, offset + written);
      written += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
