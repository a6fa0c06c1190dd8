/**
 * The ingest's output folder between publishes. ffmpeg deletes the segments that leave its own
 * playlist, but not those of an earlier launch (a reconnect starts a new ffmpeg), nor a playlist of
 * the other mode after the operator switched between copy and ladder. Before each launch this
 * removes segments of launches older than the previous one (hls-watch has long read them: they left
 * the playlist when that launch ended) and the playlist the new mode will not write, so hls-watch
 * never follows a stale one. Only names the ingest itself writes are touched.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { MASTER_PLAYLIST, MEDIA_PLAYLIST } from './ffmpeg-args';
import type { Rung } from './ladder';

const SEGMENT_NAME = /^([0-9a-z]+)-\d{5}\.ts(\.tmp)?$/;

/** New launch ids sort after older ones and never repeat within a process. */
let lastLaunch = 0;
export function newLaunchId(now = Date.now()): string {
  lastLaunch = Math.max(now, lastLaunch + 1);
  return lastLaunch.toString(36);
}

async function pruneSegments(dir: string, keep: ReadonlySet<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name);
    if (match && !keep.has(match[1]!)) await rm(path.join(dir, name), { force: true });
  }
}

export async function prepareLaunch(outDir: string, ladder: readonly Rung[], keepLaunches: ReadonlySet<string>): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const dirs = ladder.length === 0 ? [outDir] : ladder.map((rung) => path.join(outDir, rung.name));
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await pruneSegments(dir, keepLaunches);
  }
  // The other mode's entry point would point hls-watch at renditions nobody writes any more.
  await rm(path.join(outDir, ladder.length === 0 ? MASTER_PLAYLIST : MEDIA_PLAYLIST), { force: true });
}
