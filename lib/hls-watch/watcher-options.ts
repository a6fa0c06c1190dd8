/**
 * HlsWatcher's options: checked and completed with their defaults here, once, when the watcher is
 * made, so that a bad stream id fails the deploy (E_CONFIG) instead of every msg downstream, and
 * the rest of hls-watch reads plain values.
 */
import path from 'node:path';
import { isId } from '../protocol/msgs';
import { RelaycastError } from '../errors';
import { DEFAULT_MAX_PLAYLIST_BYTES } from './playlist';
import { DEFAULT_MAX_SEGMENT_BYTES } from './segment-file';
import { MemoryStateStore, type StateStore } from './state-store';

export interface HlsWatcherOptions {
  /** The encoder's output folder, or its master (or only media) playlist. */
  path: string;
  /** Stream id put on every msg. */
  stream: string;
  /** Rendition ids to follow; empty or undefined = all. */
  renditions?: string[];
  /** Poll the filesystem instead of inotify (network filesystems). */
  usePolling?: boolean;
  /** Poll interval in ms when usePolling (default 250). */
  pollInterval?: number;
  maxSegmentBytes?: number;
  maxPlaylistBytes?: number;
  /** How long a listed segment may stay missing before it is a gap (default 3000 ms). */
  segmentWaitMs?: number;
  /** Safety re-check of folder and playlists (default 1000 ms). */
  checkIntervalMs?: number;
  stateStore?: StateStore;
  /**
   * Whether a consumer that confirms deliveries (manifest, through lib/pipeline/delivery-receipts.ts) is
   * there for this stream: from then on what is sent is journalled until confirmed, even before
   * the first confirmation arrives (a crash at the very start must not lose a segment either).
   */
  receiptsExpected?: () => boolean;
}

export interface WatcherSettings {
  /** The configured path, absolute: a folder, or a master or media playlist. */
  target: string;
  /** The folder to watch: the target, or the folder of the target playlist. */
  root: string;
  stream: string;
  /** Rendition ids to follow, trimmed; empty = all. */
  renditions: string[];
  usePolling: boolean;
  pollInterval: number;
  maxSegmentBytes: number;
  maxPlaylistBytes: number;
  segmentWaitMs: number;
  checkIntervalMs: number;
  store: StateStore;
  receiptsExpected: () => boolean;
}

export function watcherSettings(options: HlsWatcherOptions): WatcherSettings {
  if (!options.path) throw new RelaycastError('E_CONFIG', 'hls-watch needs the path of an encoder output folder or master playlist');
  if (!options.stream) throw new RelaycastError('E_CONFIG', 'hls-watch needs a stream id');
  // The contract's id rule: manifest and r2-upload would refuse every msg of this stream.
  if (!isId(options.stream))
    throw new RelaycastError('E_CONFIG', `stream id must be 1–64 characters of A–Z a–z 0–9 . _ ~ -, got ${JSON.stringify(options.stream)}`);
  const target = path.resolve(options.path);
  return {
    target,
    root: /\.m3u8$/i.test(target) ? path.dirname(target) : target,
    stream: options.stream,
    renditions: (options.renditions ?? []).map((r) => r.trim()).filter((r) => r !== ''),
    usePolling: options.usePolling ?? false,
    pollInterval: options.pollInterval ?? 250,
    maxSegmentBytes: options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES,
    maxPlaylistBytes: options.maxPlaylistBytes ?? DEFAULT_MAX_PLAYLIST_BYTES,
    segmentWaitMs: options.segmentWaitMs ?? 3000,
    checkIntervalMs: options.checkIntervalMs ?? 1000,
    store: options.stateStore ?? new MemoryStateStore(),
    receiptsExpected: options.receiptsExpected ?? (() => false),
  };
}
