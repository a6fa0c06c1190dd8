/**
 * Init sections stored so far, by key (one per session and rendition): a segment that needs one
 * waits for the upload in progress or reuses the stored one, so each is PUT once. Bounded, oldest
 * forgotten first, because sessions come and go: forgetting one only costs a repeat PUT of an
 * immutable key. A failed upload is forgotten at once, so the next segment that needs it retries.
 */
import type { PutSuccess } from './retrying-put';

export class InitCache {
  private readonly uploads = new Map<string, Promise<PutSuccess>>();

  constructor(private readonly max: number) {}

  /** Init sections currently remembered as stored or being stored. */
  get size(): number {
    return this.uploads.size;
  }

  /** The upload of `key`: the one in progress or done, else a new one started by `put` (`started: true`). */
  once(key: string, put: () => Promise<PutSuccess>): { upload: Promise<PutSuccess>; started: boolean } {
    const known = this.uploads.get(key);
    if (known) return { upload: known, started: false };
    const upload = put();
    this.uploads.set(key, upload);
    // Only this upload is forgotten: the key may have been evicted and started again meanwhile.
    upload.catch(() => {
      if (this.uploads.get(key) === upload) this.uploads.delete(key);
    });
    while (this.uploads.size > this.max) this.uploads.delete(this.uploads.keys().next().value as string);
    return { upload, started: true };
  }
}
