/**
 * A counting semaphore whose waiters are served by priority (lowest first), not arrival. The
 * uploader gives each job its input order as priority, so a retry of an old segment, which holds
 * back its whole rendition, goes before newer segments that would only wait behind it anyway.
 */
import { RelaycastError } from '../errors';

interface Waiter {
  priority: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class PrioritySlots {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RelaycastError('E_UPLOAD_CONFIG', 'concurrency must be an integer ≥ 1');
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(priority: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new RelaycastError('E_UPLOAD_ABORTED', 'aborted'));
    if (this.active < this.capacity && this.waiters.length === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new RelaycastError('E_UPLOAD_ABORTED', 'aborted'));
      };
      // The listener is removed once the slot is granted: a long stream must not pile them up.
      const waiter: Waiter = {
        priority,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      let index = this.waiters.findIndex((w) => w.priority > priority);
      if (index < 0) index = this.waiters.length;
      this.waiters.splice(index, 0, waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next.resolve(); // the slot passes straight to the next waiter
    else this.active -= 1;
  }
}
