/**
 * What a relaycast-r2-bucket config node offers the nodes that use it. r2-upload imports only this
 * type; the two node files stay separately loadable.
 */
import type { Node } from 'node-red';
import type { BucketSettings, ObjectStore } from '../../lib/upload';

export interface R2BucketConfigNode extends Node {
  /** Validated settings, or undefined when the configuration is invalid (see settingsError). */
  settings?: BucketSettings;
  settingsError?: Error & { code: string };
  /** Adds a user and returns the store backed by the one shared S3 client; throws E_R2_CONFIG. */
  register(user: Node): ObjectStore;
  /** Removes a user; the shared client is destroyed when the last one leaves. */
  deregister(user: Node): void;
  /** Scrubs this node's credentials from a text before it is logged or reported. */
  redact(text: string): string;
  /** Number of registered users (for tests). */
  readonly userCount: number;
  /** True while a shared S3 client exists (for tests). */
  readonly hasClient: boolean;
}
