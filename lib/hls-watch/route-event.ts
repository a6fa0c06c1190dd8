/**
 * What one file event in the encoder's folder means for hls-watch: which playlists to read again,
 * whether the layout must be discovered again, which media file to read ahead. A pure function
 * (no I/O, no timers) so that every case is spelled out and tested on its own; HlsWatcher only
 * carries the actions out.
 *
 * Events only say "look now": what is finished is decided by the encoder's playlist.
 */
import path from 'node:path';
import { CONTENT_TYPES } from '../hls/content-types';
import { isInside, isTemporaryName } from './segment-file';

/** What chokidar reports: its `all` events and its unthrottled `raw` ones (see routeRaw). */
export type FileEvent = { kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir'; path: string } | { kind: 'raw'; path: string; watchedPath?: string };

export interface RouteContext {
  /** The watched folder (absolute). */
  root: string;
  /** The master playlist, when the layout has one. */
  masterPath: string | null;
  /** Media playlists of the renditions followed now (keys: absolute paths). */
  playlists: ReadonlyMap<string, unknown>;
  /** Whether only some renditions are followed (the node's rendition filter is set). */
  filtered: boolean;
}

export type EventAction =
  /** Read this followed playlist again now, and again after each delay in `againAfterMs`. */
  | { do: 'sync'; playlist: string; againAfterMs?: readonly number[] }
  | { do: 'discover' }
  /** A media file was written: read it now, before the encoder deletes it (see MediaFiles.prefetch). */
  | { do: 'prefetch'; file: string }
  /** Something changed at this path: wake whoever waits for the file (see MediaFiles.notify). */
  | { do: 'notify'; file: string }
  | { do: 'ignore'; why: 'outside' | 'root' | 'temporary' | 'not-followed' | 'nothing-to-do' };

/** Extra looks at a new rendition folder's playlist while chokidar starts watching the folder. */
export const NEW_FOLDER_RECHECKS_MS: readonly number[] = [2, 10, 30, 100];

const MEDIA_EXTENSIONS = new Set(Object.keys(CONTENT_TYPES).filter((ext) => ext !== '.m3u8'));

export function routeEvent(event: FileEvent, ctx: RouteContext): EventAction[] {
  if (event.kind === 'raw') return routeRaw(event, ctx);
  const full = path.resolve(event.path);
  // chokidar names every path below the one it watches, symlinks included: a guard, not a case seen.
  if (!isInside(ctx.root, full)) return [{ do: 'ignore', why: 'outside' }];
  if (event.kind === 'addDir' || event.kind === 'unlinkDir') return routeFolder(event.kind, full, ctx);
  const ext = path.extname(full).toLowerCase();
  if (ext === '.m3u8') return routePlaylist(event.kind, full, ctx);
  if (MEDIA_EXTENSIONS.has(ext) && (event.kind === 'add' || event.kind === 'change')) {
    if (!mayBeListed(full, ctx)) return [{ do: 'ignore', why: 'not-followed' }];
    // Read at once: the encoder may delete it before the playlist listing it is processed.
    return [{ do: 'prefetch', file: full }];
  }
  return [{ do: 'ignore', why: 'nothing-to-do' }];
}

/**
 * chokidar's `change` events are throttled to one per 50 ms per file; its raw ones are not, so a
 * playlist rewrite is taken from them at once. `watchedPath` is the folder (or, for a watch on
 * the file itself, the file) the OS reported on; `path` is relative to it.
 */
function routeRaw(event: { path: string; watchedPath?: string }, ctx: RouteContext): EventAction[] {
  const full = event.watchedPath ? path.resolve(event.watchedPath, event.path) : path.resolve(event.path);
  if (!isInside(ctx.root, full)) return [{ do: 'ignore', why: 'outside' }];
  const watched = event.watchedPath ? path.resolve(event.watchedPath) : undefined;
  const playlist = ctx.playlists.has(full) ? full : watched !== undefined && ctx.playlists.has(watched) ? watched : undefined;
  if (playlist !== undefined) return [{ do: 'sync', playlist }];
  if (full === ctx.masterPath) return [{ do: 'discover' }];
  if (isTemporaryName(full)) return [{ do: 'ignore', why: 'temporary' }];
  return [{ do: 'notify', file: full }];
}

function routeFolder(kind: 'addDir' | 'unlinkDir', full: string, ctx: RouteContext): EventAction[] {
  if (full === ctx.root) return [{ do: 'ignore', why: 'root' }];
  const actions: EventAction[] = [{ do: 'discover' }];
  // A playlist renamed into a new folder before chokidar's watch on that folder is in place
  // sends no event: look a few times while that watch is being set up.
  if (kind === 'addDir') {
    for (const playlist of ctx.playlists.keys()) {
      if (isInside(full, path.dirname(playlist))) actions.push({ do: 'sync', playlist, againAfterMs: NEW_FOLDER_RECHECKS_MS });
    }
  }
  return actions;
}

function routePlaylist(kind: FileEvent['kind'], full: string, ctx: RouteContext): EventAction[] {
  const followed = ctx.playlists.has(full);
  const actions: EventAction[] = [];
  if (followed && kind !== 'unlink') actions.push({ do: 'sync', playlist: full });
  // A new, removed or replaced playlist may change the layout; a followed one's rewrite does not.
  if (!followed || full === ctx.masterPath || kind !== 'change') actions.push({ do: 'discover' });
  return actions;
}

/**
 * Whether a media file can belong to a followed rendition: with a rendition filter, only files
 * in a followed rendition's folder are read ahead (and hashed). Before any rendition is known,
 * or when renditions share a folder, it cannot be told, so it is read.
 */
function mayBeListed(file: string, ctx: RouteContext): boolean {
  if (!ctx.filtered || ctx.playlists.size === 0) return true;
  const folder = path.dirname(file);
  for (const playlist of ctx.playlists.keys()) if (isInside(path.dirname(playlist), folder)) return true;
  return false;
}
