export { registerRoutes, type Middleware, type Registration, type RouteOwner, type HttpSettings } from './dispatcher';
export { PlaylistEndpoints, type EndpointOptions, type RequestCounters } from './endpoints';
export { ManifestPaths, DEFAULT_PATHS, type PathConfig } from './paths';
export { BlockingReloads, DEFAULT_MAX_HELD } from './blocking-reload';
export { PLAYLIST_CONTENT_TYPE, sendJson, sendPlaylist, sendText, notModified } from './playlist-response';
export { corsMiddleware, type CorsSettings } from './cors';
