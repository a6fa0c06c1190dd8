/** The `playlist` msg manifest outputs for every new playlist version (lib/protocol/msgs/). */
import type { PlaylistMsg, SegmentInfo } from '../protocol/msgs';
import { playlistCacheControl } from './cache-policy';
import { PLAYLIST_CONTENT_TYPE } from './http/playlist-response';
import type { RenderedPlaylist } from './manifest-core';

/** `key` is where a flow may publish it (ManifestPaths.keyOf); `segment` the one whose arrival made it. */
export function playlistMsg(p: RenderedPlaylist, key: string, segment?: SegmentInfo): PlaylistMsg {
  return {
    topic: 'playlist',
    payload: p.text,
    key,
    contentType: PLAYLIST_CONTENT_TYPE,
    cacheControl: playlistCacheControl(p.targetDuration, p.ended),
    playlist: {
      stream: p.stream,
      rendition: p.rendition,
      ...(p.rendition !== null ? { mediaSequence: p.mediaSequence, discontinuitySequence: p.discontinuitySequence } : {}),
      ended: p.ended,
      // A later presentation (after an ENDLIST was served) is served at ?presentation=N.
      ...(p.presentation ? { presentation: p.presentation } : {}),
    },
    ...(segment ? { segment } : {}),
  };
}
