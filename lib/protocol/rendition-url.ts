/**
 * Which rendition a media playlist URL names, by the rule the loader uses unless the page gives its
 * own (`renditionFromUrl`): the file name without `.m3u8` (`…/720p.m3u8?x` → `720p`). Signaling
 * reads the master playlist's first variant by the same rule, to start a viewer page in the swarm of
 * the level hls.js starts on.
 */
export function renditionOfPlaylistUrl(url: string): string {
  const path = url.split(/[?#]/)[0];
  const file = path.slice(path.lastIndexOf('/') + 1);
  return file.replace(/\.m3u8$/i, '');
}

/** The rendition of a master playlist's first variant (the level hls.js starts on unless told otherwise). */
export function firstVariantRendition(masterText: string): string | undefined {
  const uri = masterText.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'));
  return uri === undefined ? undefined : renditionOfPlaylistUrl(uri.trim());
}
