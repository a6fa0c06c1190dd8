/**
 * Loads a committed HLS fixture (test/fixtures/hls/<name>/) into memory: its fixture.json, the
 * playlists ffmpeg wrote and every segment's bytes. The demo encoder replays from this copy, so
 * nothing it writes is invented: durations are the fixture's EXTINF values, bytes are the files.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as HLS from 'hls-parser';
import { RelaycastError } from '../../lib/errors';
import { sha256Hex } from '../../lib/hls/hash';

/** The hand-written fixture.json beside each fixture (see test/fixtures/hls/README.md). */
export interface FixtureDescription {
  kind: 'ts' | 'fmp4';
  /** Master playlist path relative to the fixture folder, or null for a single-variant fixture. */
  master: string | null;
  renditions: {
    id: string;
    /** Media playlist path relative to the fixture folder. */
    playlist: string;
    /** Init segment URI as written in EXT-X-MAP (relative to the playlist's folder), fMP4 only. */
    init: string | null;
  }[];
}

export interface FixtureSegment {
  /** URI as the fixture playlist lists it (relative to the playlist's folder). */
  uri: string;
  /** Seconds, the fixture playlist's EXTINF. */
  duration: number;
  bytes: Buffer;
  sha256: string;
}

export interface FixtureRendition {
  id: string;
  /** Media playlist path relative to the fixture (and output) folder. */
  playlist: string;
  /** EXT-X-MAP URI, or null for MPEG-TS. */
  init: string | null;
  initBytes: Buffer | null;
  version: number;
  targetDuration: number;
  independentSegments: boolean;
  segments: FixtureSegment[];
}

export interface LoadedFixture {
  folder: string;
  kind: 'ts' | 'fmp4';
  master: { path: string; text: string } | null;
  renditions: FixtureRendition[];
}

export { sha256Hex };

function invalid(folder: string, why: string): RelaycastError {
  return new RelaycastError('E_FIXTURE_INVALID', `Fixture ${folder}: ${why}`);
}

/** Rejects a relative path that would leave the fixture folder (fixture.json is input, after all). */
function insideFolder(folder: string, relative: string): string {
  const resolved = path.resolve(folder, relative);
  if (!resolved.startsWith(path.resolve(folder) + path.sep)) throw invalid(folder, `path ${relative} leaves the fixture folder`);
  return resolved;
}

function checkDescription(folder: string, raw: unknown): FixtureDescription {
  const d = raw as Partial<FixtureDescription> | null;
  if (!d || (d.kind !== 'ts' && d.kind !== 'fmp4')) throw invalid(folder, 'fixture.json needs kind "ts" or "fmp4"');
  if (d.master !== null && typeof d.master !== 'string') throw invalid(folder, 'master must be a path or null');
  if (!Array.isArray(d.renditions) || d.renditions.length === 0) throw invalid(folder, 'renditions must be a non-empty list');
  const ids = new Set<string>();
  for (const r of d.renditions) {
    if (!r || typeof r.id !== 'string' || !r.id || typeof r.playlist !== 'string') throw invalid(folder, 'each rendition needs id and playlist');
    if (ids.has(r.id)) throw invalid(folder, `duplicate rendition id ${r.id}`);
    ids.add(r.id);
    if (d.kind === 'fmp4' ? typeof r.init !== 'string' : r.init !== null) throw invalid(folder, `rendition ${r.id}: init must be set for fmp4 and null for ts`);
  }
  return d as FixtureDescription;
}

async function loadRendition(folder: string, kind: 'ts' | 'fmp4', r: FixtureDescription['renditions'][number]): Promise<FixtureRendition> {
  const playlistPath = insideFolder(folder, r.playlist);
  const parsed = HLS.parse(await readFile(playlistPath, 'utf8'));
  if (parsed.isMasterPlaylist) throw invalid(folder, `${r.playlist} is a master playlist, expected a media playlist`);
  const media = parsed as HLS.types.MediaPlaylist;
  if (media.segments.length === 0) throw invalid(folder, `${r.playlist} lists no segments`);
  const playlistDir = path.dirname(playlistPath);
  const segments: FixtureSegment[] = [];
  for (const s of media.segments) {
    const bytes = await readFile(insideFolder(playlistDir, s.uri));
    segments.push({ uri: s.uri, duration: s.duration, bytes, sha256: sha256Hex(bytes) });
  }
  const initBytes = kind === 'fmp4' ? await readFile(insideFolder(playlistDir, r.init as string)) : null;
  return {
    id: r.id,
    playlist: r.playlist,
    init: r.init,
    initBytes,
    version: media.version ?? (kind === 'fmp4' ? 7 : 3),
    targetDuration: media.targetDuration,
    independentSegments: media.independentSegments === true,
    segments,
  };
}

export async function loadFixture(folder: string): Promise<LoadedFixture> {
  const absolute = path.resolve(folder);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(absolute, 'fixture.json'), 'utf8'));
  } catch (err) {
    throw new RelaycastError('E_FIXTURE_INVALID', `Fixture ${absolute}: cannot read fixture.json (${(err as Error).message})`, { cause: err });
  }
  const description = checkDescription(absolute, raw);
  const renditions: FixtureRendition[] = [];
  for (const r of description.renditions) renditions.push(await loadRendition(absolute, description.kind, r));
  const master = description.master ? { path: description.master, text: await readFile(insideFolder(absolute, description.master), 'utf8') } : null;
  return { folder: absolute, kind: description.kind, master, renditions };
}
