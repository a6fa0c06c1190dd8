/** The one SHA-256 helper: segment hashes travel to viewers, who check peer data against them. */
import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256, the form lib/protocol/msgs/ uses for segment.sha256 and init.sha256. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
