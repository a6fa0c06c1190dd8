/**
 * The playlist engine: takes segment / gap / lifecycle msgs (lib/protocol/msgs/), keeps one sliding
 * window per stream and rendition, and renders Media and Master Playlists. Knows nothing of
 * Node-RED or HTTP; the node shell serves what `mediaPlaylist()` / `masterPlaylist()` return.
 */
import { RelaycastError } from '../errors';
import { readGapMsg, readLifecycleMsg, readPartMsg, readSegmentMsg, type GapInput, type PartInput, type SegmentInput } from './input';
import { renderMasterPlaylist } from './master-renderer';
import { etagOf } from './etag';
import { MediaBody } from './media-body';
import { formatDuration, type LowLatencyView } from './media-renderer';
import { DEFAULT_END_GRACE_TARGET_DURATIONS, resolveOptions, type ManifestOptions } from './options';
import { chooseProgramDateTime } from './program-date-time';
import {
  appendEntry,
  checkOrder,
  enterSession,
  hasHistory,
  lastEntry,
  ListedUrls,
  newRendition,
  slideWindow,
  windowDuration,
  type PlaylistEntry,
  type RenditionState,
} from './rendition';
import { BandwidthMeter, measureBandwidth } from './bandwidth';
import { SNAPSHOT_FORMAT, readSnapshot, type ManifestSnapshot } from './snapshot';
import { addPart, lastListedPart, listableOpen, nextPartUrl, PARTS_LISTED_SEGMENTS, partTargetOf, takeOpenParts } from './parts';

export interface RenderedPlaylist {
  text: string;
  /** Strong validator for If-None-Match. */
  etag: string;
  stream: string;
  /** null for the master playlist. */
  rendition: string | null;
  targetDuration: number;
  mediaSequence?: number;
  discontinuitySequence?: number;
  /** MSN of the last listed entry (media playlists). */
  lastMsn?: number;
  /** LL-HLS: the last part listed (of the segment in progress, or of the last entry). */
  lastPart?: { msn: number; index: number };
  /** Media playlists: which presentation (0 = the first; a later one is served at ?presentation=N). */
  presentation?: number;
  ended: boolean;
}

/** What one msg changed: the playlists that now have a new version. */
export interface ManifestUpdate {
  stream: string;
  media: RenderedPlaylist[];
  master?: RenderedPlaylist;
  /** Neither listed nor handled: its deliverer sends it again after the sequences it skipped (do not confirm it). */
  comesAgain?: true;
}

interface StreamState {
  stream: string;
  /** Chosen once per stream (first segment or configuration) and never changed. */
  targetDuration?: number;
  /** LL-HLS PART-TARGET, fixed by the first part msg (the encoder's, rounded up to the ms). */
  partTarget?: number;
  /** Parts arrived without blocking reload, which LL-HLS needs: said once, then ignored. */
  partsRefused?: boolean;
  renditions: Map<string, RenditionState>;
  mediaCache: Map<string, RenderedPlaylist>;
  /** What each rendition's versions are derived from, extended as entries are appended. */
  derived: Map<string, Derived>;
  /** Each rendition's last finished presentation, rendered once from RenditionState.finished. */
  finishedCache: Map<string, RenderedPlaylist>;
  masterCache?: RenderedPlaylist;
  /** Since when a master change waits for a variant's attributes or first segment (see masterMustWait). */
  masterHeldSince?: number;
  /** The renditions hls-watch follows in this stream (its latest segment's hint), within this node's filter. */
  expected?: string[];
}

/** How long, in target durations, a master waits for a variant's CODECS/RESOLUTION. */
const MASTER_HOLD_TARGET_DURATIONS = 2;

/** Shortest segment the wall-clock floor allows for, ms (see wallClockMediaSequence). */
const FLOOR_MIN_SEGMENT_MS = 100;

/**
 * A first media sequence number above any a lost state can have given out: a stream numbered from
 * 0 (or from an earlier such floor) gains at most one number per segment, and no segment is
 * shorter than 100 ms, so numbers derived from the wall clock at that rate are always ahead.
 */
export function wallClockMediaSequence(nowMs: number): number {
  return Math.floor(nowMs / FLOOR_MIN_SEGMENT_MS);
}

export class ManifestCore {
  readonly options: ManifestOptions;
  private readonly streams = new Map<string, StreamState>();
  private sequenceFloor = 0;

  constructor(options: Partial<ManifestOptions> = {}) {
    this.options = resolveOptions(options);
  }

  /** Dispatches on msg.topic ('segment' | 'gap' | 'lifecycle'). */
  apply(msg: unknown): ManifestUpdate {
    if (msg === null || typeof msg !== 'object') throw new RelaycastError('E_MANIFEST_BAD_MSG', 'msg must be an object');
    const m = msg as Record<string, unknown>;
    switch (m.topic) {
      case 'segment':
        return this.applySegment(readSegmentMsg(m));
      case 'gap':
        return this.applyGap(readGapMsg(m));
      case 'lifecycle':
        return this.applyLifecycle(readLifecycleMsg(m));
      case 'part':
        return this.applyPart(readPartMsg(m));
      default:
        throw new RelaycastError('E_MANIFEST_BAD_TOPIC', `msg.topic must be 'segment', 'part', 'gap' or 'lifecycle', got ${JSON.stringify(m.topic)}`);
    }
  }

  applySegment(s: SegmentInput): ManifestUpdate {
    const { stream, r } = this.renditionFor(s.stream, s.rendition);
    if (alreadyHandled(r, s)) return { stream: s.stream, media: [] };
    if (this.comesAgain(r, s)) return { stream: s.stream, media: [], comesAgain: true };
    if (s.variant) r.variant = s.variant;
    if (s.renditions) stream.expected = s.renditions.filter((id) => this.options.renditions.length === 0 || this.options.renditions.includes(id));
    const targetDuration = this.targetDurationFor(stream, s.duration, s.targetDuration);
    this.prepareForItem(stream, r, s.session, s.sequence, s.url);
    const skipped = checkOrder(r, s.sequence, s.url, derivedFor(stream, r.rendition).urls);
    if (Math.round(Number(formatDuration(s.duration))) > targetDuration) {
      // RFC 8216 §4.3.3.1: listing it would make the playlist invalid, and the target duration may
      // not change. Leave it out, mark the break in the timeline, and say so.
      r.lastSourceSequence = s.sequence;
      r.pendingDiscontinuity = hasHistory(r);
      throw new RelaycastError(
        'E_MANIFEST_SEGMENT_TOO_LONG',
        `${s.stream}/${s.rendition}: segment ${s.sequence} lasts ${s.duration} s, above the stream's target duration of ${targetDuration} s; left out. ` +
          `Set Target duration to at least ${Math.max(Math.round(s.duration), s.targetDuration ?? 0)}, or to the longest segment the encoder can write (see the help): an automatic one is fixed at the stream's start and cannot grow`,
      );
    }
    const previous = lastEntry(r);
    const open = r.open;
    const parts = takeOpenParts(r, s.sequence, s.duration);
    // Parts left out (one was lost, or they do not add up to the segment) are no longer listed anywhere.
    if (!parts) this.unlistParts(open?.parts, this.options.clock() + 2 * s.duration * 1000);
    const initChanged = s.initUrl !== undefined && previous?.initUrl !== undefined && previous.initUrl !== s.initUrl;
    const discontinuity = hasHistory(r) && (r.pendingDiscontinuity || s.discontinuity || skipped || initChanged);
    appendEntry(
      r,
      {
        url: s.url,
        duration: s.duration,
        discontinuity,
        gap: false,
        programDateTime: chooseProgramDateTime(previous, s.programDateTime, discontinuity, this.options.clock()),
        initUrl: s.initUrl ?? (previous && !discontinuity ? previous.initUrl : undefined),
        byteLength: s.byteLength,
        session: s.session,
        sourceSequence: s.sequence,
        ...(s.key !== undefined ? { key: s.key } : {}),
        ...(parts ? { parts } : {}),
      },
      this.options.clock(),
    );
    if (s.key !== undefined) this.options.listings?.list(s.key);
    return this.afterAppend(stream, r, targetDuration);
  }

  applyGap(g: GapInput): ManifestUpdate {
    const { stream, r } = this.renditionFor(g.stream, g.rendition);
    if (alreadyHandled(r, g)) return { stream: g.stream, media: [] };
    if (this.comesAgain(r, g)) return { stream: g.stream, media: [], comesAgain: true };
    const targetDuration = this.targetDurationFor(stream, g.duration, g.targetDuration);
    this.prepareForItem(stream, r, g.session, g.sequence, undefined);
    const skipped = checkOrder(r, g.sequence, undefined);
    const previous = lastEntry(r);
    const url = g.url ?? (previous ? siblingUrl(previous.url, g.uri) : undefined);
    const fits = Math.round(Number(formatDuration(g.duration))) <= targetDuration;
    if (this.options.gapMode === 'discontinuity' || url === undefined || !fits) {
      r.lastSourceSequence = g.sequence;
      r.pendingDiscontinuity = hasHistory(r);
      return { stream: g.stream, media: [] };
    }
    const discontinuity = hasHistory(r) && (r.pendingDiscontinuity || g.discontinuity || skipped);
    appendEntry(
      r,
      {
        url,
        duration: g.duration,
        discontinuity,
        gap: true,
        programDateTime: chooseProgramDateTime(previous, g.programDateTime, discontinuity, this.options.clock()),
        initUrl: g.initUrl ?? (previous && !discontinuity ? previous.initUrl : undefined),
        session: g.session,
        sourceSequence: g.sequence,
      },
      this.options.clock(),
    );
    return this.afterAppend(stream, r, targetDuration);
  }

  /**
   * An LL-HLS part of the segment in progress (lib/manifest/parts.ts): listed after the last entry
   * at once, in a new version, when it continues what is listed.
   */
  applyPart(p: PartInput): ManifestUpdate {
    const { stream, r } = this.renditionFor(p.stream, p.rendition);
    const none = { stream: p.stream, media: [] };
    if (!this.options.blockingReload) {
      if (stream.partsRefused) return none;
      stream.partsRefused = true;
      throw new RelaycastError(
        'E_MANIFEST_PARTS_NEED_BLOCKING_RELOAD',
        `${p.stream}/${p.rendition}: LL-HLS parts arrive, but blocking reload is off; LL-HLS needs it (rfc8216bis §4.4.3.8): turn on Blocking reload, or the parts are not listed`,
      );
    }
    stream.partTarget ??= partTargetOf(p.partTarget);
    if (r.ended || stream.targetDuration === undefined || !addPart(r, p, stream.partTarget)) return none;
    if (p.key !== undefined) this.options.listings?.list(p.key);
    return { stream: p.stream, media: this.rerenderMedia(stream, r) };
  }

  applyLifecycle(event: ReturnType<typeof readLifecycleMsg>): ManifestUpdate {
    const { stream, r } = this.renditionFor(event.stream, event.rendition);
    if (event.variant) r.variant = event.variant;
    if (event.event === 'ended') {
      if (r.ended || r.entries.length === 0 || r.endRequestedAt !== undefined) return { stream: event.stream, media: [] };
      r.endedSession = event.session;
      if (this.endGraceMs(stream) > 0) {
        // Held: a player that sees ENDLIST stops for good, and encoders restart within seconds.
        r.endRequestedAt = this.options.clock();
        return { stream: event.stream, media: [] };
      }
      r.ended = true;
      return { stream: event.stream, media: this.rerenderMedia(stream, r), master: this.rerenderMaster(stream) };
    }
    // A start inside the grace continues the playlist: the held ENDLIST is never published.
    r.endRequestedAt = undefined;
    if (r.currentSession !== event.session) {
      enterSession(r, event.session);
    } else if (event.event === 'restarted') {
      r.lastSourceSequence = undefined;
    }
    if (hasHistory(r) && event.event === 'restarted') r.pendingDiscontinuity = true;
    // An ended playlist stays as it is: the next segment opens the next presentation.
    return { stream: event.stream, media: [] };
  }

  /**
   * Called about once a second: publishes the ENDLIST of every rendition whose grace has passed
   * since the encoder's ENDLIST, and a master whose wait for a variant's attributes is over.
   */
  endDue(now = this.options.clock()): ManifestUpdate[] {
    const updates: ManifestUpdate[] = [];
    for (const stream of this.streams.values()) {
      const media: RenderedPlaylist[] = [];
      for (const r of stream.renditions.values()) {
        if (r.endRequestedAt === undefined || now - r.endRequestedAt < this.endGraceMs(stream)) continue;
        r.endRequestedAt = undefined;
        r.ended = true;
        media.push(...this.rerenderMedia(stream, r));
      }
      if (media.length > 0) updates.push({ stream: stream.stream, media, master: this.rerenderMaster(stream) });
      else if (stream.masterHeldSince !== undefined) {
        // A held master whose wait is over goes out on this tick.
        const master = this.rerenderMaster(stream);
        if (master) updates.push({ stream: stream.stream, media: [], master });
      }
    }
    return updates;
  }

  /**
   * Ends (EXT-X-ENDLIST) every live rendition that has listed nothing for `idleMs`: an encoder that
   * crashed never writes ENDLIST, and players would otherwise poll a dead playlist forever.
   */
  endIdle(idleMs: number, now = this.options.clock()): ManifestUpdate[] {
    const updates: ManifestUpdate[] = [];
    for (const stream of this.streams.values()) {
      const media: RenderedPlaylist[] = [];
      for (const r of stream.renditions.values()) {
        if (r.ended || r.entries.length === 0 || r.lastEntryAt === undefined || now - r.lastEntryAt < idleMs) continue;
        r.ended = true;
        r.endRequestedAt = undefined;
        // Ended by silence, not by the encoder: the same session may resume (in a new presentation).
        r.endedSession = undefined;
        media.push(...this.rerenderMedia(stream, r));
      }
      if (media.length > 0) updates.push({ stream: stream.stream, media, master: this.rerenderMaster(stream) });
    }
    return updates;
  }

  /**
   * A media playlist as served: the current presentation, or (with `presentation`) that one, when
   * it is the current or the last finished one.
   */
  mediaPlaylist(stream: string, rendition: string, presentation?: number): RenderedPlaylist | undefined {
    const s = this.streams.get(stream);
    const r = s?.renditions.get(rendition);
    if (!s || !r) return undefined;
    if (presentation === undefined || presentation === r.presentation) return s.mediaCache.get(rendition);
    if (r.finished?.presentation !== presentation) return undefined;
    let finished = s.finishedCache.get(rendition);
    if (finished?.presentation !== presentation && s.targetDuration !== undefined) {
      const f = r.finished;
      finished = {
        text: f.text,
        etag: etagOf(f.text),
        stream,
        rendition,
        targetDuration: s.targetDuration,
        mediaSequence: f.mediaSequence,
        discontinuitySequence: f.discontinuitySequence,
        lastMsn: f.lastMsn,
        presentation: f.presentation,
        ended: true,
      };
      s.finishedCache.set(rendition, finished);
    }
    return finished;
  }

  masterPlaylist(stream: string): RenderedPlaylist | undefined {
    return this.streams.get(stream)?.masterCache;
  }

  streamIds(): string[] {
    return [...this.streams.keys()];
  }

  renditionIds(stream: string): string[] {
    const s = this.streams.get(stream);
    return s ? [...s.renditions.values()].sort((a, b) => a.order - b.order).map((r) => r.rendition) : [];
  }

  /**
   * After a lost state: every rendition numbers its segments from at least `floor` (ones that
   * exist but list nothing yet are raised too), so no MSN a player saw before names another segment.
   */
  floorSequences(floor: number): void {
    this.sequenceFloor = Math.max(this.sequenceFloor, floor);
    for (const s of this.streams.values()) {
      for (const r of s.renditions.values()) if (r.entries.length === 0) r.nextMsn = Math.max(r.nextMsn, this.sequenceFloor);
    }
  }

  targetDuration(stream: string): number | undefined {
    return this.streams.get(stream)?.targetDuration;
  }

  /**
   * The state as it is, not copied: for a caller that serialises it at once and neither keeps nor
   * changes it (the state store, lib/manifest/state-store.ts, which must not pay for the whole DVR
   * history on every version). snapshot() is the copy.
   */
  persistable(): Array<{ stream: string; targetDuration?: number; renditions: readonly RenditionState[] }> {
    return [...this.streams.values()].map((s) => ({ stream: s.stream, targetDuration: s.targetDuration, renditions: [...s.renditions.values()] }));
  }

  /** A copy of the whole state (SNAPSHOT_FORMAT 1), which restore() takes back. */
  snapshot(): ManifestSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      streams: this.persistable().map((s) => ({ ...s, renditions: s.renditions.map((r) => structuredClone(r)) })),
    };
  }

  /** Replaces all state with a snapshot (after a redeploy or restart) and re-renders every playlist. */
  restore(snapshot: unknown): void {
    const parsed = readSnapshot(snapshot);
    this.streams.clear();
    for (const s of parsed.streams) {
      const state: StreamState = {
        stream: s.stream,
        targetDuration: s.targetDuration,
        renditions: new Map(),
        mediaCache: new Map(),
        derived: new Map(),
        finishedCache: new Map(),
      };
      for (const r of s.renditions) {
        state.renditions.set(r.rendition, r);
        // What a restored playlist serves is listed again at once, before r2-upload's next sweep.
        for (const e of r.entries) if (e.key !== undefined) this.options.listings?.list(e.key);
        for (const part of [...r.entries.flatMap((e) => e.parts ?? []), ...(r.open?.parts ?? [])])
          if (part.key !== undefined) this.options.listings?.list(part.key);
        for (const key of r.finished?.keys ?? []) this.options.listings?.list(key);
      }
      this.streams.set(s.stream, state);
      for (const r of state.renditions.values()) if (state.targetDuration !== undefined) this.rerenderMedia(state, r);
      this.rerenderMaster(state);
    }
  }

  health(now = this.options.clock()): object {
    const streams: Record<string, object> = {};
    for (const s of this.streams.values()) {
      const renditions: Record<string, object> = {};
      for (const r of [...s.renditions.values()].sort((a, b) => a.order - b.order)) {
        const measured = measureBandwidth(r.entries);
        renditions[r.rendition] = {
          segments: r.entries.length,
          windowSeconds: Number(windowDuration(r.entries).toFixed(3)),
          mediaSequence: r.entries[0]?.msn ?? r.nextMsn,
          lastMediaSequence: r.entries.length > 0 ? r.entries[r.entries.length - 1].msn : null,
          discontinuitySequence: r.discontinuitySequence,
          gaps: r.entries.filter((e) => e.gap).length,
          ended: r.ended,
          endPending: r.endRequestedAt !== undefined,
          presentation: r.presentation,
          lastSegmentAgeMs: r.lastEntryAt === undefined ? null : Math.max(0, now - r.lastEntryAt),
          bandwidth: measured?.peak ?? null,
          averageBandwidth: measured?.average ?? null,
        };
      }
      streams[s.stream] = { targetDuration: s.targetDuration ?? null, dvr: this.options.dvr, windowSegments: this.options.windowSegments, renditions };
    }
    return streams;
  }

  /**
   * A first copy that skips sequences of the current session (they were dropped while a stage of
   * the path restarted) and that its deliverer will send again after them: listed now, it would
   * leave them no place, since playlists only append (lib/pipeline/delivery-receipts.ts).
   */
  private comesAgain(r: RenditionState, item: { stream: string; rendition: string; session: string; sequence: number; redelivered?: boolean }): boolean {
    if (item.redelivered === true || !this.options.resendRequest) return false;
    if (r.currentSession !== item.session || r.lastSourceSequence === undefined || item.sequence <= r.lastSourceSequence + 1) return false;
    return this.options.resendRequest(item.stream, { rendition: item.rendition, session: item.session, sequence: item.sequence });
  }

  private renditionFor(streamId: string, renditionId: string): { stream: StreamState; r: RenditionState } {
    if (this.options.streams.length > 0 && !this.options.streams.includes(streamId)) {
      throw new RelaycastError('E_MANIFEST_WRONG_STREAM', `stream ${streamId} is not served by this manifest node (serves ${this.options.streams.join(', ')})`);
    }
    if (this.options.renditions.length > 0 && !this.options.renditions.includes(renditionId)) {
      throw new RelaycastError('E_MANIFEST_WRONG_RENDITION', `rendition ${renditionId} is not one of ${this.options.renditions.join(', ')}`);
    }
    let stream = this.streams.get(streamId);
    if (!stream) {
      stream = { stream: streamId, renditions: new Map(), mediaCache: new Map(), derived: new Map(), finishedCache: new Map() };
      this.streams.set(streamId, stream);
    }
    let r = stream.renditions.get(renditionId);
    if (!r) {
      r = newRendition(streamId, renditionId, stream.renditions.size);
      r.nextMsn = this.sequenceFloor;
      stream.renditions.set(renditionId, r);
    }
    return { stream, r };
  }

  /**
   * Fixed once per stream, identical for every rendition (rfc8216bis §6.2.1, §6.2.4): the configured
   * value, else the larger of the encoder's own EXT-X-TARGETDURATION and the first segment's
   * ceiling. The first segment alone is not enough: with a varying GOP it may be the shortest.
   */
  private targetDurationFor(stream: StreamState, firstDuration: number, encoderTarget: number | undefined): number {
    stream.targetDuration ??=
      this.options.targetDuration > 0 ? this.options.targetDuration : Math.max(1, encoderTarget ?? 0, Math.ceil(Number(formatDuration(firstDuration))));
    return stream.targetDuration;
  }

  private prepareForItem(stream: StreamState, r: RenditionState, session: string, sequence: number, url: string | undefined): void {
    if ((r.ended || r.endRequestedAt !== undefined) && r.endedSession === session) {
      throw new RelaycastError(
        'E_MANIFEST_ENDED',
        `${r.stream}/${r.rendition}: session ${session} already ended; segment ${sequence} (${url ?? 'gap'}) is not listed`,
      );
    }
    // Another session inside the grace: a restart, so the playlist goes on (with a discontinuity).
    r.endRequestedAt = undefined;
    if (r.ended) this.openNextPresentation(stream, r);
    enterSession(r, session);
  }

  /**
   * RFC 8216 §6.2.1: once ENDLIST is served the playlist must not change. The finished playlist is
   * kept exactly as served at its URL, and the rendition starts over in a new presentation: a new
   * playlist at its own URL (?presentation=N, which the master playlist points to), numbered from
   * 0 like any new playlist. No player can mix the two: one that saw ENDLIST has stopped.
   */
  private openNextPresentation(stream: StreamState, r: RenditionState): void {
    const served = stream.mediaCache.get(r.rendition);
    const previous = r.finished;
    if (served) {
      // Its segments stay listed while it is served; the one it replaces lets go of its own.
      r.finished = {
        presentation: r.presentation,
        text: served.text,
        mediaSequence: served.mediaSequence ?? 0,
        discontinuitySequence: served.discontinuitySequence ?? 0,
        lastMsn: served.lastMsn ?? 0,
        keys: r.entries.flatMap((e) => (e.key !== undefined ? [e.key] : [])),
        durationSec: windowDuration(r.entries),
      };
    }
    if (previous?.keys && previous !== r.finished) {
      const until = this.options.clock() + 2 * (previous.durationSec ?? 0) * 1000;
      for (const key of previous.keys) this.options.listings?.unlist(key, until);
    }
    stream.mediaCache.delete(r.rendition);
    stream.finishedCache.delete(r.rendition);
    r.presentation += 1;
    r.entries = [];
    r.nextMsn = 0;
    r.discontinuitySequence = 0;
    r.version = 3;
    r.ended = false;
    r.endedSession = undefined;
    r.pendingDiscontinuity = false;
  }

  private endGraceMs(stream: StreamState): number {
    const seconds = this.options.endGraceSeconds ?? DEFAULT_END_GRACE_TARGET_DURATIONS * (stream.targetDuration ?? 0);
    return seconds * 1000;
  }

  private afterAppend(stream: StreamState, r: RenditionState, targetDuration: number): ManifestUpdate {
    if (!this.options.dvr) {
      const left = slideWindow(r, this.options.windowSegments, targetDuration);
      // RFC 8216 §6.2.2: available for its duration plus that of the playlist that held it.
      const heldMs = windowDuration(r.entries) * 1000;
      const now = this.options.clock();
      for (const e of left) {
        if (e.key !== undefined) this.options.listings?.unlist(e.key, now + heldMs + 2 * e.duration * 1000);
        this.unlistParts(e.parts, now + heldMs + 2 * e.duration * 1000);
      }
    }
    const media = this.rerenderMedia(stream, r);
    const master = this.rerenderMaster(stream);
    return { stream: stream.stream, media, master };
  }

  private unlistParts(parts: readonly { key?: string }[] | undefined, until: number): void {
    for (const part of parts ?? []) if (part.key !== undefined) this.options.listings?.unlist(part.key, until);
  }

  /** What LL-HLS adds to the rendition's playlist, once the stream has parts. */
  private lowLatency(stream: StreamState, r: RenditionState): LowLatencyView | undefined {
    if (stream.partTarget === undefined || stream.targetDuration === undefined) return undefined;
    const hintUrl = r.ended ? undefined : nextPartUrl(r, stream.partTarget, stream.targetDuration);
    return { partTarget: stream.partTarget, partsListedSegments: PARTS_LISTED_SEGMENTS, open: listableOpen(r)?.parts ?? [], ...(hintUrl ? { hintUrl } : {}) };
  }

  private rerenderMedia(stream: StreamState, r: RenditionState): RenderedPlaylist[] {
    if (r.entries.length === 0 || stream.targetDuration === undefined) return [];
    const ll = this.lowLatency(stream, r);
    const { text, etag, changed } = derivedFor(stream, r.rendition).body.render(r, stream.targetDuration, this.options.blockingReload, ll);
    // Every changed version is cached below, so an unchanged one is the cached one.
    if (stream.mediaCache.has(r.rendition) && !changed) return [];
    const last: PlaylistEntry = r.entries[r.entries.length - 1];
    const rendered: RenderedPlaylist = {
      text,
      etag,
      stream: stream.stream,
      rendition: r.rendition,
      targetDuration: stream.targetDuration,
      mediaSequence: r.entries[0].msn,
      discontinuitySequence: r.discontinuitySequence,
      lastMsn: last.msn,
      presentation: r.presentation,
      ended: r.ended,
    };
    const lastPart = ll ? lastListedPart(r) : undefined;
    if (lastPart) rendered.lastPart = lastPart;
    stream.mediaCache.set(r.rendition, rendered);
    return [rendered];
  }

  /**
   * A player loads the master once and keeps its variants for the whole session, so a master that
   * lists a rendition without the CODECS/RESOLUTION its siblings have (ffmpeg can list a rendition's
   * first segment before it writes master.m3u8), or that lacks a rendition hls-watch follows but
   * whose first segment is a few ms behind, would make it pick, refuse or miss variants. Such a
   * version is held (the previous one, if any, stays served) until the attributes and the first
   * segments arrive, at most 2 target durations.
   */
  private masterMustWait(stream: StreamState): boolean {
    const listed = [...stream.renditions.values()].filter((r) => !r.ended && r.entries.some((e) => !e.gap));
    const described = (r: RenditionState) => Boolean(r.variant?.codecs || r.variant?.resolution);
    const undescribed = listed.some(described) && !listed.every(described);
    const missing = (stream.expected ?? []).some((id) => {
      const r = stream.renditions.get(id);
      return !r || (!r.ended && !r.entries.some((e) => !e.gap));
    });
    if (!undescribed && !missing) {
      stream.masterHeldSince = undefined;
      return false;
    }
    const now = this.options.clock();
    stream.masterHeldSince ??= now;
    return now - stream.masterHeldSince < MASTER_HOLD_TARGET_DURATIONS * (stream.targetDuration ?? 0) * 1000;
  }

  private rerenderMaster(stream: StreamState): RenderedPlaylist | undefined {
    if (this.masterMustWait(stream)) return undefined;
    stream.masterHeldSince = undefined;
    const text = renderMasterPlaylist(
      [...stream.renditions.values()],
      (r) => {
        const uri = this.options.variantUri(stream.stream, r.rendition);
        return r.presentation > 0 ? `${uri}${uri.includes('?') ? '&' : '?'}presentation=${r.presentation}` : uri;
      },
      (r) => derivedFor(stream, r.rendition).bandwidth.measure(r.entries),
    );
    if (text === undefined || stream.masterCache?.text === text || stream.targetDuration === undefined) return undefined;
    stream.masterCache = {
      text,
      etag: etagOf(text),
      stream: stream.stream,
      rendition: null,
      targetDuration: stream.targetDuration,
      ended: [...stream.renditions.values()].every((r) => r.ended),
    };
    return stream.masterCache;
  }
}

/** A rendition's playlist lines, bandwidth and listed URLs, each kept up to date with its entries. */
interface Derived {
  body: MediaBody;
  bandwidth: BandwidthMeter;
  urls: ListedUrls;
}

function derivedFor(stream: StreamState, rendition: string): Derived {
  let derived = stream.derived.get(rendition);
  if (!derived) {
    derived = { body: new MediaBody(), bandwidth: new BandwidthMeter(), urls: new ListedUrls() };
    stream.derived.set(rendition, derived);
  }
  return derived;
}

/**
 * A segment or gap hls-watch sent again after a restart (it never got our receipt) that this
 * rendition already handled: of its current session at or before the last one, or of an older
 * session. Ignored quietly; any other repeat is still refused with its code.
 */
function alreadyHandled(r: RenditionState, item: { session: string; sequence: number; redelivered?: boolean }): boolean {
  if (item.redelivered !== true) return false;
  if (r.pastSessions.includes(item.session)) return true;
  return r.currentSession === item.session && r.lastSourceSequence !== undefined && item.sequence <= r.lastSourceSequence;
}

/** The URL a missing segment would have had: its playlist URI beside the previous segment's URL. */
function siblingUrl(previousUrl: string, uri: string): string | undefined {
  const name = uri.split(/[\\/]/).pop();
  if (!name || !/^[A-Za-z0-9._~-]+$/.test(name)) return undefined;
  return new URL(name, previousUrl).toString();
}
