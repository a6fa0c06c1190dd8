/**
 * Runs an async pass so that calls arriving while a pass runs fold into one more pass: passes never
 * overlap (so their effects never interleave or reorder) and no trigger is lost. hls-watch uses it
 * for playlist syncs and layout discovery, both driven by bursts of file events.
 */
export class CoalescedRunner {
  private running = false;
  private again = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly pass: () => Promise<void>,
    /** Checked between passes: once true, no further pass starts. */
    private readonly stopped: () => boolean = () => false,
  ) {}

  /** Starts a pass, or asks the running one to be followed by another; resolves when they are done. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.current;
    }
    this.running = true;
    this.current = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped());
      } finally {
        this.running = false;
      }
    })();
    return this.current;
  }

  /** Resolves, never rejects, once no pass is running (close waits for it). */
  whenIdle(): Promise<void> {
    return this.current.catch(() => undefined);
  }
}
