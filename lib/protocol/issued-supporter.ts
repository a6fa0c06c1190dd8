/**
 * An issued supporter token as the signaling instances sharing one Redis exchange and store it
 * (lib/signaling/shared-supporters.ts): the SHA-256 digest of the token and the supporter id it
 * admits, never the token itself.
 */
import * as v from 'valibot';
import { IdSchema } from './msgs/ids';
import { isSha256Hex } from './segment-rules';

export const IssuedSupporterSchema = v.object({ d: v.custom<string>(isSha256Hex, 'must be 64 lower-case hex digits'), id: IdSchema });
export type IssuedSupporter = v.InferOutput<typeof IssuedSupporterSchema>;

/** The entry, or undefined when `value` is not one (what Redis sends is a network input). */
export function parseIssuedSupporter(value: unknown): IssuedSupporter | undefined {
  const result = v.safeParse(IssuedSupporterSchema, value);
  return result.success ? result.output : undefined;
}
