// Small builders for the hls-watch unit specs: playlists written inline, the way encoders write them.
import { mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Entry {
  uri: string;
  duration: number;
  discontinuity?: boolean;
  pdt?: string;
}

export function mediaPlaylist(opts: { sequence: number; entries: Entry[]; ended?: boolean; map?: string; target?: number }): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${opts.target ?? 2}`, `#EXT-X-MEDIA-SEQUENCE:${opts.sequence}`];
  if (opts.map) lines.push(`#EXT-X-MAP:URI="${opts.map}"`);
  for (const e of opts.entries) {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${e.duration.toFixed(6)},`);
    if (e.pdt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.pdt}`);
    lines.push(e.uri);
  }
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** Temp file + rename, as ffmpeg and SRS replace their playlists. */
export function writeAtomically(file: string, text: string | Buffer): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export function tempDir(prefix = 'hls-watch-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh temp folder for each test of the describe this is called in, removed after the test.
 * `dir` is its realpath: the watcher and the trackers name files by it (os.tmpdir() may be a link).
 * `beforeRemoval` runs first, even when it fails (close what still has files open there).
 */
export function tempDirPerTest(options: { prefix?: string; beforeRemoval?: () => unknown } = {}): { readonly dir: string } {
  let current: { dir: string; cleanup: () => void } | undefined;
  beforeEach(() => {
    const t = tempDir(options.prefix);
    current = { dir: realpathSync(t.dir), cleanup: t.cleanup };
  });
  afterEach(async () => {
    try {
      await options.beforeRemoval?.();
    } finally {
      current?.cleanup();
      current = undefined;
    }
  });
  return {
    get dir(): string {
      if (!current) throw new Error('tempDirPerTest: dir is there only while a test runs');
      return current.dir;
    },
  };
}

/** Distinct bytes per name so SHA-256 checks can tell segments apart. */
export function segmentBytes(name: string, size = 2048): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (name.charCodeAt(i % name.length) + i) & 0xff;
  return bytes;
}
