export { ManifestCore, wallClockMediaSequence, type ManifestUpdate, type RenderedPlaylist } from './manifest-core';
export { DEFAULT_OPTIONS, resolveOptions, type ManifestOptions, type GapMode } from './options';
export type { ManifestSnapshot } from './snapshot';
export type { PlaylistEntry, RenditionState } from './rendition';
export { compilePathTemplate, relativeUri, type PathTemplate, type Placeholder } from './path-template';
export { playlistCacheControl, ENDED_MAX_AGE_SECONDS } from './cache-policy';
export { DurableView } from './durable-view';
export { playlistMsg } from './playlist-msg';
export { restoreManifest } from './restore';
