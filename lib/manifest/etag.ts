/**
 * A playlist's ETag (strong validator for If-None-Match): the SHA-1 of its text, shortened. One
 * rule for every playlist, whether hashed at once or carried forward block by block (media-body.ts).
 */
import { createHash, type Hash } from 'node:crypto';

/** The ETag of the text a hash has been fed so far (the hash itself stays usable). */
export function etagOfHash(hash: Hash): string {
  return `"${hash.copy().digest('base64url').slice(0, 20)}"`;
}

export function etagOf(text: string): string {
  return etagOfHash(createHash('sha1').update(text));
}
