/**
 * The two ways live encoders put a file on disk. Which one a watcher sees decides whether a file
 * can be observed half-written under its final name, so the demo encoder reproduces both.
 */
import { open, rename, writeFile } from 'node:fs/promises';

/** ffmpeg flushes a finished segment in 256 KB writes (observed with ffmpeg 5.1). */
const FFMPEG_WRITE_CHUNK = 256 * 1024;

/**
 * Writes the file under its final name in several writes, as ffmpeg does without `temp_file`:
 * a reader can see the name before all bytes are there.
 */
export async function writeInPlace(filePath: string, bytes: Buffer): Promise<void> {
  const handle = await open(filePath, 'w');
  try {
    for (let offset = 0; offset < bytes.length; offset += FFMPEG_WRITE_CHUNK) {
      const length = Math.min(FFMPEG_WRITE_CHUNK, bytes.length - offset);
      await handle.write(bytes, offset, length);
    }
  } finally {
    await handle.close();
  }
}

/** Writes to a temporary name and renames, so the final name only ever holds complete bytes. */
export async function writeViaRename(filePath: string, temporaryPath: string, bytes: Buffer | string): Promise<void> {
  await writeFile(temporaryPath, bytes);
  await rename(temporaryPath, filePath);
}
