/**
 * Finds the renditions of a stream in an encoder's output: from its master playlist when there is
 * one (ffmpeg -master_pl_name, Owncast's hls/stream.m3u8), otherwise from the media playlists in the
 * folder (single variant: "main") or in its sub-folders (ffmpeg %v folders without a master).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { toId, type VariantInfo } from '../protocol/msgs';
import { RelaycastError } from '../errors';
import { parsePlaylist, readPlaylistText, type PlaylistInfo } from './playlist';
import { isInside, isTemporaryName } from './segment-file';

export interface RenditionSource {
  id: string;
  /** Absolute path of the rendition's media playlist. */
  playlistPath: string;
  variant?: VariantInfo;
}

export interface Layout {
  /** Absolute path of the master playlist, when one was found. */
  masterPath: string | null;
  renditions: RenditionSource[];
}

/** The rendition id for a variant URI: its folder name ("0/stream.m3u8" → "0"), else its file name ("720p.m3u8" → "720p"). */
export function renditionIdFor(uri: string): string {
  const clean = uri.split(/[?#]/)[0];
  const parts = clean.split('/').filter((p) => p !== '' && p !== '.');
  // Made to follow the contract's id rule here, at the source, so manifest and r2-upload accept it.
  if (parts.length >= 2) return toId(parts[parts.length - 2]);
  const base = parts[parts.length - 1] ?? clean;
  return toId(base.replace(/\.m3u8$/i, ''));
}

/** Gives every rendition a unique id: a clash falls back to the variant URI without its extension. */
function uniqueIds(renditions: RenditionSource[], uris: string[]): RenditionSource[] {
  const counts = new Map<string, number>();
  for (const r of renditions) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return renditions.map((r, i) => (counts.get(r.id)! > 1 ? { ...r, id: toId(uris[i].replace(/\.m3u8$/i, '')) } : r));
}

/** null: gone; 'unreadable': there but malformed or too large (its tracker will say why). */
async function tryRead(filePath: string, maxBytes: number): Promise<PlaylistInfo | 'unreadable' | null> {
  try {
    return parsePlaylist(await readPlaylistText(filePath, maxBytes));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return null;
    if (code === 'E_PLAYLIST_MALFORMED' || code === 'E_PLAYLIST_TOO_LARGE') return 'unreadable';
    throw err;
  }
}

function fromMaster(masterPath: string, info: PlaylistInfo, root: string): Layout {
  if (info.kind === 'media') return { masterPath: null, renditions: [{ id: 'main', playlistPath: masterPath }] };
  const folder = path.dirname(masterPath);
  const seen = new Set<string>();
  const renditions: RenditionSource[] = [];
  const uris: string[] = [];
  for (const v of info.variants) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(v.uri)) continue; // a URL: not something this encoder wrote here
    const playlistPath = path.resolve(folder, v.uri.split(/[?#]/)[0]);
    if (!isInside(root, playlistPath)) {
      throw new RelaycastError('E_PATH_OUTSIDE', `master playlist ${masterPath} lists ${v.uri}, outside the watched folder`);
    }
    if (seen.has(playlistPath)) continue; // audio/video groups can repeat a playlist
    seen.add(playlistPath);
    renditions.push({ id: renditionIdFor(v.uri), playlistPath, variant: v.variant });
    uris.push(v.uri);
  }
  return { masterPath, renditions: uniqueIds(renditions, uris) };
}

async function playlistsIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.m3u8$/i.test(e.name) && !isTemporaryName(e.name))
    .map((e) => path.join(folder, e.name))
    .sort();
}

async function subfolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => path.join(folder, e.name))
    .sort();
}

/**
 * Reads the layout. `target` is the configured path: a master or media playlist file, or a folder.
 * Errors from readdir (EACCES, ENOTDIR) are thrown for the caller to report.
 */
export async function discoverLayout(root: string, target: string, maxPlaylistBytes: number): Promise<Layout> {
  if (/\.m3u8$/i.test(target)) {
    const info = await tryRead(target, maxPlaylistBytes);
    if (info === 'unreadable') return { masterPath: null, renditions: [{ id: 'main', playlistPath: target }] };
    return info ? fromMaster(target, info, root) : { masterPath: null, renditions: [] };
  }
  const classify = async (files: string[]): Promise<{ masters: string[]; media: string[]; unreadable: string[]; infos: Map<string, PlaylistInfo> }> => {
    const infos = new Map<string, PlaylistInfo>();
    const masters: string[] = [];
    const media: string[] = [];
    const unreadable: string[] = [];
    for (const file of files) {
      const info = await tryRead(file, maxPlaylistBytes);
      if (!info) continue;
      if (info === 'unreadable') {
        unreadable.push(file);
        continue;
      }
      infos.set(file, info);
      (info.kind === 'master' ? masters : media).push(file);
    }
    return { masters, media, unreadable, infos };
  };
  const top = await classify(await playlistsIn(root));
  if (top.masters.length > 0) return fromMaster(top.masters[0], top.infos.get(top.masters[0])!, root);
  // A playlist that does not parse is still followed as a rendition: its tracker reports the
  // problem (a silent "waiting" would hide it) and picks it up once the encoder rewrites it.
  const topMedia = top.media.length > 0 ? top.media : top.unreadable;
  if (topMedia.length === 1) return { masterPath: null, renditions: [{ id: 'main', playlistPath: topMedia[0] }] };
  if (topMedia.length > 1) {
    return { masterPath: null, renditions: topMedia.map((p) => ({ id: toId(path.basename(p).replace(/\.m3u8$/i, '')), playlistPath: p })) };
  }
  // Nothing at the top: the encoder's tree may start one level down (Owncast's hls/), or use one
  // folder per rendition without a master.
  const renditions: RenditionSource[] = [];
  for (const sub of await subfolders(root)) {
    let found;
    try {
      found = await classify(await playlistsIn(sub));
    } catch {
      continue; // a folder vanishing or unreadable mid-scan is not the stream's problem
    }
    if (found.masters.length > 0) return fromMaster(found.masters[0], found.infos.get(found.masters[0])!, root);
    for (const media of found.media) {
      const name = path.basename(sub);
      renditions.push({ id: toId(found.media.length === 1 ? name : `${name}_${path.basename(media).replace(/\.m3u8$/i, '')}`), playlistPath: media });
    }
  }
  return { masterPath: null, renditions };
}
