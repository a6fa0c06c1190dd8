/**
 * A file msg: what r2-upload stores besides segments, under msg.key (for example manifest's
 * playlist msgs, which carry these fields). The key's path rules are r2-upload's own (keys.ts),
 * since they depend on the bucket's key prefix.
 */
import * as v from 'valibot';
import { isBuffer, NonEmptyStringSchema } from './fields';

export const FileMsgSchema = v.object({
  key: v.custom<string>((x) => typeof x === 'string', 'must be a string'),
  payload: v.custom<Buffer | string>((x) => typeof x === 'string' || isBuffer(x), 'must be a Buffer or a string when msg.key is set'),
  contentType: v.optional(NonEmptyStringSchema),
  cacheControl: v.optional(NonEmptyStringSchema),
});
export type FileMsg = v.InferOutput<typeof FileMsgSchema>;
