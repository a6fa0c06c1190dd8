// The player of the outside try: loads the master and every media playlist about every 0.5 s, as
// a live player does, and keeps every version it was served. Each media playlist's versions go
// through the RFC 8216 history checker (devtools/hls-validator), every MSN → URI it was told is
// kept (a second URI for one MSN is a conflict), and the moment a version first adds a segment is
// recorded, for the stall figure.
import { PlaylistHistory, errorsOf, parseMediaPlaylist, validateMasterPlaylist, type Violation } from '../../devtools/hls-validator';
import { MsnUris } from '../../test/support/delivery-check';

export interface RenditionView {
  history: PlaylistHistory;
  msnUris: MsnUris;
  /** performance.now() of each poll whose version added a segment past the last one seen. */
  newSegmentAt: number[];
  lastMsn: number;
  latest?: string;
}

export class PollingPlayer {
  readonly renditions = new Map<string, RenditionView>();
  readonly masterViolations: Violation[] = [];
  masterVersions = 0;
  polls = 0;
  private latestMaster?: string;
  private running = true;
  private loop?: Promise<void>;

  constructor(
    private readonly base: () => string | undefined,
    private readonly stream: string,
    renditions: string[],
    private readonly everyMs = 500,
  ) {
    for (const r of renditions) {
      this.renditions.set(r, { history: new PlaylistHistory({ requireAbsoluteUris: true }), msnUris: new MsnUris(), newSegmentAt: [], lastMsn: -1 });
    }
  }

  start(): void {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        await this.pollOnce().catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.max(0, this.everyMs - (performance.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** RFC 8216 errors over every media playlist's history and every master version. */
  violations(): Violation[] {
    return [...this.masterViolations, ...[...this.renditions.values()].flatMap((v) => errorsOf(v.history.violations))];
  }

  conflicts(): string[] {
    return [...this.renditions.entries()].flatMap(([r, v]) => v.msnUris.conflicts.map((c) => `${r}: ${c}`));
  }

  async pollOnce(): Promise<void> {
    const base = this.base();
    if (!base) return;
    this.polls += 1;
    await Promise.all([
      this.get(`${base}/live/${this.stream}/master.m3u8`).then((text) => {
        if (text === undefined || text === this.latestMaster) return;
        this.latestMaster = text;
        this.masterVersions += 1;
        this.masterViolations.push(...errorsOf(validateMasterPlaylist(text)));
      }),
      ...[...this.renditions.entries()].map(([r, view]) =>
        this.get(`${base}/live/${this.stream}/${r}.m3u8`).then((text) => {
          if (text === undefined) return;
          const at = performance.now();
          view.history.push(text);
          view.latest = text;
          const parsed = parseMediaPlaylist(text);
          view.msnUris.observe(parsed.segments);
          const last = parsed.segments.length > 0 ? parsed.segments[parsed.segments.length - 1].msn : -1;
          if (last > view.lastMsn) {
            view.lastMsn = last;
            view.newSegmentAt.push(at);
          }
        }),
      ),
    ]);
  }

  private async get(url: string): Promise<string | undefined> {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (!res || res.status !== 200) {
      await res?.body?.cancel().catch(() => undefined);
      return undefined;
    }
    return res.text().catch(() => undefined);
  }
}

/**
 * The longest wait between two versions that added a segment, less any part of it spent in an
 * excluded window (Node-RED down after a SIGKILL, no encoder producing), in ms. Only the waits
 * that start before `until` count (after it the encoder has stopped for good).
 */
export function longestWait(times: readonly number[], excluded: ReadonlyArray<{ from: number; to: number }>, until: number): number {
  let worst = 0;
  for (let i = 1; i < times.length; i++) {
    const from = times[i - 1];
    const to = times[i];
    if (from >= until) break;
    let overlap = 0;
    for (const w of excluded) overlap += Math.max(0, Math.min(to, w.to) - Math.max(from, w.from));
    worst = Math.max(worst, to - from - overlap);
  }
  return worst;
}
