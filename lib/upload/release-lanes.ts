/**
 * Ordered release per lane (one lane per rendition, or per file key): results leave in input
 * order, so a slow job holds back later ones of its lane and is never overtaken, and a failed one
 * is released in its place. Work runs concurrently, except serial work (files with a key: a late
 * older version must never overwrite a newer one), which runs one job after the other in its lane.
 * Idle lanes are dropped, so a long run with many renditions does not accumulate them.
 */

interface Lane {
  releaseTail: Promise<void>;
  workTail: Promise<void>;
  pending: number;
}

const noop = (): void => undefined;

export class ReleaseLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly unreleased = new Set<Promise<unknown>>();

  /** Lanes with a job not yet released. */
  get size(): number {
    return this.lanes.size;
  }

  /**
   * Starts `work` (at once, or after the lane's earlier serial work when `serial`) and, once it is
   * done and every earlier job of the lane was released, calls `release` with its result and
   * resolves with what that returns. `work` must not reject (an upload turns failures into results).
   */
  add<R, O>(laneId: string, work: () => Promise<R>, serial: boolean, release: (result: R) => O): Promise<O> {
    const lane = this.laneFor(laneId);
    lane.pending += 1;
    const running = serial ? lane.workTail.then(work) : work();
    if (serial) lane.workTail = running.then(noop, noop);
    const released = Promise.all([running, lane.releaseTail]).then(([result]) => {
      lane.pending -= 1;
      if (lane.pending === 0) this.lanes.delete(laneId);
      return release(result);
    });
    lane.releaseTail = released.then(noop, noop);
    this.unreleased.add(released);
    // then(f, f), not finally(): finally() would pass a rejection on to a promise nobody handles.
    const forget = (): void => {
      this.unreleased.delete(released);
    };
    released.then(forget, forget);
    return released;
  }

  /** Resolves once every job added so far is released (never rejects). */
  async whenReleased(): Promise<void> {
    await Promise.all([...this.unreleased].map((p) => p.then(noop, noop)));
  }

  private laneFor(laneId: string): Lane {
    let lane = this.lanes.get(laneId);
    if (!lane) {
      lane = { releaseTail: Promise.resolve(), workTail: Promise.resolve(), pending: 0 };
      this.lanes.set(laneId, lane);
    }
    return lane;
  }
}
