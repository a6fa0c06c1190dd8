/**
 * Blocking playlist reload (rfc8216bis §6.2.5.2): a request carrying `_HLS_msn=M` is held until
 * segment M is listed, then answered with the full playlist. `_HLS_part` without `_HLS_msn` → 400;
 * M more than two beyond the last listed segment → 400 at once; a wait longer than 3 × target
 * duration → 503; once ENDLIST is present the directives are ignored. `_HLS_part=P` with it waits
 * for part P of segment M (LL-HLS), or for the whole segment M, whichever comes first; a playlist
 * without parts has only the latter. At most `maxHeld` requests are held
 * (each is an open socket and a timer): past that a request gets 503 with Retry-After at once.
 */
import type { ServerResponse } from 'node:http';
import type { RenderedPlaylist } from '../manifest-core';
import { sendText } from './playlist-response';

interface Waiter {
  stream: string;
  rendition: string;
  /** A later presentation is another playlist: its versions never answer this request. */
  presentation: number;
  msn: number;
  part?: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  deliver: (p: RenderedPlaylist) => void;
}

/** Whether `p` holds segment `msn` whole, or (LL-HLS) its part `part`, or anything later. */
function satisfies(p: RenderedPlaylist, msn: number, part: number | undefined): boolean {
  if ((p.lastMsn ?? -1) >= msn) return true;
  return part !== undefined && p.lastPart !== undefined && (p.lastPart.msn > msn || (p.lastPart.msn === msn && p.lastPart.index >= part));
}

/** Held requests per manifest node, by default: far above one per viewer and rendition of a live audience on one Node-RED. */
export const DEFAULT_MAX_HELD = 10_000;

export class BlockingReloads {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly maxHeld = DEFAULT_MAX_HELD) {}

  get size(): number {
    return this.waiters.size;
  }

  answer(
    directive: { msn?: string; part?: string },
    current: RenderedPlaylist,
    res: ServerResponse,
    deliver: (p: RenderedPlaylist) => void,
    onBlock: () => void,
  ): void {
    if (current.ended) {
      deliver(current);
      return;
    }
    if (directive.msn === undefined) {
      sendText(res, 400, '_HLS_part requires _HLS_msn\n');
      return;
    }
    if (!/^\d{1,15}$/.test(directive.msn) || (directive.part !== undefined && !/^\d{1,6}$/.test(directive.part))) {
      sendText(res, 400, '_HLS_msn and _HLS_part must be decimal integers\n');
      return;
    }
    const msn = Number(directive.msn);
    const part = directive.part === undefined ? undefined : Number(directive.part);
    const last = current.lastMsn ?? -1;
    if (satisfies(current, msn, part)) {
      deliver(current);
      return;
    }
    if (msn > last + 2) {
      sendText(res, 400, `_HLS_msn ${msn} is more than two segments beyond the last one (${last})\n`);
      return;
    }
    if (this.waiters.size >= this.maxHeld) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(current.targetDuration / 2))));
      sendText(res, 503, 'too many blocking playlist requests are held; retry shortly\n');
      return;
    }
    onBlock();
    const waiter: Waiter = {
      stream: current.stream,
      rendition: current.rendition!,
      presentation: current.presentation ?? 0,
      msn,
      ...(part !== undefined ? { part } : {}),
      res,
      deliver,
      timer: setTimeout(() => {
        this.waiters.delete(waiter);
        sendText(res, 503, `segment ${msn} did not appear within 3 × target duration\n`);
      }, current.targetDuration * 3000),
    };
    this.waiters.add(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
    });
  }

  /** A new version of a media playlist: answer every request it satisfies. */
  published(p: RenderedPlaylist): void {
    for (const w of this.waiters) {
      if (w.stream !== p.stream || w.rendition !== p.rendition || w.presentation !== (p.presentation ?? 0)) continue;
      if (!p.ended && !satisfies(p, w.msn, w.part)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.deliver(p);
    }
  }

  closeAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      if (!w.res.headersSent) sendText(w.res, 503, 'playlist endpoint closed\n');
    }
    this.waiters.clear();
  }
}
