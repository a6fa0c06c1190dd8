/**
 * RFC 8216 / rfc8216bis playlist validator (with the LL-HLS tags, ll-rules.ts) used by every Relaycast test that produces playlists.
 * Each violation carries a rule id; 'error' means a MUST was broken, 'warning' a SHOULD.
 *
 *   validateMediaPlaylist(text, previous?)  one version (and its change from the previous one)
 *   validateMasterPlaylist(text, media?)    a master playlist (and the variants it lists)
 *   new PlaylistHistory()                   every successive version of one media playlist
 */
import { checkMasterPlaylist } from './master-rules';
import { checkMediaHistory } from './history-rules';
import { checkMediaPlaylist, type MediaValidationOptions } from './media-rules';
import { parseMediaPlaylist, type ParsedMediaPlaylist } from './parse';
import type { Violation } from './violations';

export type { Violation } from './violations';
export type { MediaValidationOptions } from './media-rules';
export { errorsOf, formatViolations } from './violations';
export { parseMediaPlaylist } from './parse';
export { requiredMediaVersion } from './media-rules';

export function validateMediaPlaylist(text: string, previous?: string, options: MediaValidationOptions = {}): Violation[] {
  const current = parseMediaPlaylist(text);
  const violations = checkMediaPlaylist(current, options);
  if (previous !== undefined) violations.push(...checkMediaHistory(parseMediaPlaylist(previous), current));
  return violations;
}

export function validateMasterPlaylist(text: string, mediaPlaylists?: Record<string, string>): Violation[] {
  return checkMasterPlaylist(text, mediaPlaylists);
}

/**
 * Feed it every version of one Media Playlist, in the order they were served; it checks each
 * version alone and against the one before. Identical consecutive versions are accepted silently.
 */
export class PlaylistHistory {
  private previous?: ParsedMediaPlaylist;
  private previousText?: string;
  readonly versions: string[] = [];
  readonly violations: Violation[] = [];

  constructor(private readonly options: MediaValidationOptions = {}) {}

  push(text: string): Violation[] {
    if (text === this.previousText) return [];
    const current = parseMediaPlaylist(text);
    const found = checkMediaPlaylist(current, this.options);
    if (this.previous) found.push(...checkMediaHistory(this.previous, current));
    this.previous = current;
    this.previousText = text;
    this.versions.push(text);
    this.violations.push(...found);
    return found;
  }
}
