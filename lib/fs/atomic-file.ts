/**
 * Replaces a file so that a reader, or the next start after a crash or power loss, finds either
 * the old content or the new, never a part of either: write a temp file beside it, fsync it,
 * rename it over the target, then fsync the folder so the rename itself is on disk.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

let temps = 0;

export async function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  // Unique per call, so two writers of one file (a closing node and its redeployed successor) never share a temp file.
  const temp = `${file}.tmp-${process.pid}-${(temps += 1)}`;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncFolder(dir);
}

/** Best effort: some platforms (Windows) cannot open a folder for fsync; the rename is done anyway. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported here */
  }
}
