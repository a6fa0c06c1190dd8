/**
 * Restoring a manifest's state from its file before anything is served, so no client ever sees a
 * reset. When the file is unusable the manifest starts empty, but numbers from the wall clock,
 * above anything the lost state can have given out, so no player sees an MSN name another segment.
 */
import { RelaycastError } from '../errors';
import { wallClockMediaSequence, type ManifestCore } from './manifest-core';

/** Where the state comes from: the node's ManifestStateStore, or a plain StateFile of format 1. */
export interface SavedManifestState {
  load(): unknown;
  quarantine(): void;
  /** Told that what load() gave is now the core's state. */
  restored?(): void;
}

/** Returns why the saved state was lost (to be reported loudly), or undefined when it was restored or there was none. */
export function restoreManifest(core: ManifestCore, file: SavedManifestState, now = Date.now()): Error | undefined {
  try {
    const saved = file.load();
    if (saved !== undefined) core.restore(saved);
    file.restored?.();
    return undefined;
  } catch (err) {
    // Keep the bad file for inspection (load() already moved a non-JSON one aside).
    if (err instanceof RelaycastError && err.code === 'E_MANIFEST_STATE') file.quarantine();
    core.floorSequences(wallClockMediaSequence(now));
    return err instanceof Error ? err : new Error(String(err));
  }
}
