/**
 * Reading one media file (segment or fMP4 init) out of the encoder's folder, safely: never outside
 * the folder (symlinks are resolved first), never more than the size cap, always hashed.
 */
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RelaycastError } from '../errors';
import { sha256Hex } from '../hls/hash';

/** Enough for a 10 s segment at 50 Mbit/s; a bigger "segment" is a mistake or junk. */
export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

/** What identifies one version of a file on disk: an encoder that rewrites a name changes one of these. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface FileBytes {
  /** The path as listed (not the symlink target), absolute. */
  path: string;
  bytes: Buffer;
  sha256: string;
  identity: FileIdentity;
}

export function sameIdentity(a: FileIdentity | null | undefined, b: FileIdentity | null | undefined): boolean {
  return !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** True when `candidate` is `folder` itself or lies below it (both absolute and normalised). */
export function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(folder, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Temp names encoders write before renaming (ffmpeg `.tmp`, SRS `.tmp` / `.temp`): never finished files. */
export function isTemporaryName(fileName: string): boolean {
  return /\.(tmp|temp)$/i.test(fileName);
}

/**
 * Reads a file below `realRoot` (the folder's realpath). Throws:
 * - the fs error unchanged for ENOENT (the caller decides whether to wait),
 * - E_PATH_OUTSIDE when the path or a symlink on it leads outside the folder,
 * - E_SEGMENT_TOO_LARGE past `maxBytes`, E_SEGMENT_NOT_FILE for a directory or device.
 */
export async function readMediaFile(realRoot: string, filePath: string, maxBytes: number): Promise<FileBytes> {
  const absolute = path.resolve(filePath);
  const target = await realpath(absolute);
  if (!isInside(realRoot, target)) {
    throw new RelaycastError('E_PATH_OUTSIDE', `${absolute} resolves to ${target}, outside the watched folder ${realRoot}`);
  }
  const handle = await open(target, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new RelaycastError('E_SEGMENT_NOT_FILE', `${absolute} is not a regular file`);
    if (stats.size > maxBytes) {
      throw new RelaycastError('E_SEGMENT_TOO_LARGE', `${absolute} is ${stats.size} bytes, more than the limit of ${maxBytes}`);
    }
    // Sized from fstat, plus one spare byte to notice a file that is still growing.
    const buffer = Buffer.allocUnsafe(stats.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > stats.size) {
      throw new RelaycastError('E_SEGMENT_CHANGING', `${absolute} grew while it was read`);
    }
    const bytes = buffer.subarray(0, filled);
    return {
      path: absolute,
      bytes,
      sha256: sha256Hex(bytes),
      identity: { ino: stats.ino, size: filled, mtimeMs: stats.mtimeMs },
    };
  } finally {
    await handle.close();
  }
}

/** Identity of what is on disk now under `filePath` (null when it is gone). */
export async function currentIdentity(filePath: string): Promise<FileIdentity | null> {
  try {
    const stats = await stat(filePath);
    return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch {
    return null;
  }
}
