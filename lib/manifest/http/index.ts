export { PlaylistEndpoints, type EndpointOptions, type RequestCounters } from './endpoints';
export { ManifestPaths, DEFAULT_PATHS, type PathConfig } from './paths';
export { BlockingReloads, DEFAULT_MAX_HELD } from './blocking-reload';
export { PLAYLIST_CONTENT_TYPE, sendJson, sendPlaylist, sendText, notModified } from './playlist-response';
