/**
 * Follows one rendition's media playlist and turns each newly listed segment into exactly one msg:
 * in the encoder's order, never twice, never skipped in silence (a segment that cannot be read
 * becomes an error plus a `gap` msg). Detects encoder restarts and EXT-X-ENDLIST.
 */
import path from 'node:path';
import { contentTypeFor } from '../hls/content-types';
import {
  isSegmentDuration,
  MAX_SEGMENT_SECONDS,
  type GapMsg,
  type InitSection,
  type LifecycleEvent,
  type LifecycleMsg,
  type PartMsg,
  type SegmentInfo,
  type SegmentMsg,
  type VariantInfo,
} from '../protocol/msgs';
import { inBackground } from '../async/background';
import { CoalescedRunner } from '../async/coalesced-runner';
import { RelaycastError, toRelaycastError } from '../errors';
import type { MediaFiles } from './media-files';
import { parsePlaylist, readPlaylistText, type MediaEntry, type MediaPart, type MediaPlaylistInfo } from './playlist';
import { PartSender } from './part-sender';
import { ProblemBook } from './problem-book';
import { currentIdentity, isInside, sameIdentity, type FileBytes } from './segment-file';
import type { RenditionState } from './state-store';

/** A bad playlist is re-read after this long before it is reported (it may have been caught mid-write). */
const MALFORMED_RECHECK_MS = 100;

/** The one key of a tracker's ProblemBook: its playlist could not be read or parsed. */
const PLAYLIST_PROBLEM = 'playlist';

export type WatchMsg = SegmentMsg | GapMsg | LifecycleMsg | PartMsg;

export interface TrackerContext {
  stream: string;
  rendition: string;
  /** Absolute path of the media playlist; URIs are relative to its folder. */
  playlistPath: string;
  maxPlaylistBytes: number;
  /** The watched folder (lexical): listed files outside it are refused before any fs access. */
  root: string;
  files: MediaFiles;
  variant?: VariantInfo;
  /** The renditions of the stream followed now (the layout after the filter): carried on each segment. */
  followed?: () => readonly string[];
  /** The stream's current session, creating one if there is none yet. */
  currentSession(): string;
  /** A new session after `previous`, unless another rendition already rotated past it. */
  sessionAfter(previous: string): string;
  emit(msg: WatchMsg): void;
  /** A failure worth a Catch node: with the gap msg when a listed segment is lost. */
  error(err: RelaycastError, msg?: WatchMsg): void;
  /** The problem reported last for this rendition is gone (a good playlist or segment followed). */
  recovered(): void;
  /** State changed (persist it, in the background). */
  changed(): void;
  /** Stores the state now; resolves once it is stored (or its write failed and was reported). */
  journal(): Promise<void>;
  /** A consumer that confirms deliveries is there (lib/pipeline/delivery-receipts.ts): journal what is sent. */
  receiptsExpected?: () => boolean;
  /** The playlist turned out to be a master playlist: the renditions must be discovered again. */
  layoutChanged(): void;
  isClosed(): boolean;
  /** The next pass sends the unconfirmed deliveries again first (the first tracker since start, or resendUnconfirmed). */
  resuming?: boolean;
}

/** Most unconfirmed deliveries kept per rendition (a consumer that stopped confirming must not grow it). */
const MAX_UNCONFIRMED = 64;

/** A consumer confirmed `sequence` of `session`: what it covers need not be delivered again. */
export function confirmDelivery(state: RenditionState, session: string, sequence: number): void {
  state.confirming = true;
  state.unconfirmed = (state.unconfirmed ?? []).filter((d) => d.session !== session || d.sequence > sequence);
}

export function freshRenditionState(session: string): RenditionState {
  return {
    session,
    nextSequence: 0,
    lastEncoderSequence: null,
    lastUri: null,
    lastFile: null,
    pendingDiscontinuity: false,
    started: false,
    ended: false,
  };
}

/** Why a playlist means the encoder started over, or null when it continues the current session. */
export async function restartReason(state: RenditionState, playlist: MediaPlaylistInfo, playlistDir: string): Promise<string | null> {
  if (state.lastEncoderSequence === null) return state.ended && !playlist.ended ? 'a new playlist after EXT-X-ENDLIST' : null;
  const last = state.lastEncoderSequence;
  if (state.ended && !playlist.ended) return 'a new playlist after EXT-X-ENDLIST';
  if (playlist.entries.length === 0) return null;
  const newest = playlist.entries[playlist.entries.length - 1].sequence;
  if (newest < last) return `media sequence went back from ${last} to ${newest}`;
  const same = playlist.entries.find((e) => e.sequence === last);
  if (!same) return null;
  if (same.uri !== state.lastUri) return `sequence ${last} now lists ${same.uri} instead of ${state.lastUri}`;
  if (state.lastFile) {
    // Same number, same name (ffmpeg's seg_%05d after a restart): the bytes on disk tell.
    const now = await currentIdentity(path.resolve(playlistDir, same.uri));
    if (now && !sameIdentity(now, state.lastFile)) return `segment ${same.uri} was rewritten`;
  }
  return null;
}

export class RenditionTracker {
  private readonly syncs = new CoalescedRunner(
    () => this.syncOnce(),
    () => this.ctx.isClosed(),
  );
  private suspectText: string | null = null;
  /** The playlist's read or parse problem, reported once until a good playlist follows. */
  private readonly problems = new ProblemBook();
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly playlistDir: string;
  private readonly parts: PartSender;

  constructor(
    private readonly ctx: TrackerContext,
    readonly state: RenditionState,
  ) {
    this.playlistDir = path.dirname(ctx.playlistPath);
    this.parts = new PartSender({
      read: (uri) => ctx.files.take(this.resolveListed(uri), () => ctx.isClosed()),
      emit: (msg) => ctx.emit(msg),
      isClosed: () => ctx.isClosed(),
    });
  }

  get rendition(): string {
    return this.ctx.rendition;
  }

  setVariant(variant: VariantInfo | undefined): void {
    this.ctx.variant = variant;
  }

  /**
   * Applies one parsed version of the playlist. Serialised: a call while one runs is folded into
   * a re-run by the caller (see HlsWatcher), so the order of msgs never depends on timing.
   */
  async apply(playlist: MediaPlaylistInfo): Promise<void> {
    const { state, ctx } = this;
    const reason = await restartReason(state, playlist, this.playlistDir);
    if (reason) {
      const hadStarted = state.started;
      state.session = ctx.sessionAfter(state.session);
      state.lastEncoderSequence = null;
      state.lastUri = null;
      state.lastFile = null;
      state.ended = false;
      state.started = false;
      // `restarted` goes out with the new session's first segment (below), like `started`.
      state.pendingDiscontinuity = hadStarted || state.pendingDiscontinuity;
      ctx.changed();
    }
    if (this.ctx.resuming && !reason) {
      this.ctx.resuming = false;
      await this.deliverUnconfirmed(playlist);
    }
    if (state.ended) return;
    const fresh = playlist.entries.filter((e) => state.lastEncoderSequence === null || e.sequence > state.lastEncoderSequence);
    if (fresh.length > 0 && state.lastEncoderSequence !== null && fresh[0].sequence > state.lastEncoderSequence + 1) {
      // They left the playlist before we saw them (the node was stopped or Node-RED was down):
      // their names and durations are unknown, so there is nothing to put in a gap msg.
      state.pendingDiscontinuity = true;
      ctx.error(
        new RelaycastError(
          'E_SEGMENTS_MISSED',
          `${ctx.stream}/${ctx.rendition}: encoder segments ${state.lastEncoderSequence + 1}–${fresh[0].sequence - 1} left the playlist before they could be read`,
        ),
      );
    }
    for (const entry of fresh) {
      if (ctx.isClosed()) return;
      if (!state.started) {
        state.session = state.session || ctx.currentSession();
        state.started = true;
        this.lifecycle(state.pendingDiscontinuity ? 'restarted' : 'started');
      }
      if (!isSegmentDuration(entry.duration)) {
        this.refuseEntry(entry);
        ctx.changed();
        continue;
      }
      if (entry.parts && playlist.partTarget !== undefined) await this.sendParts(entry.sequence, entry.parts, playlist.partTarget, entry.programDateTime);
      const delivered = await this.deliver(entry, playlist.targetDuration);
      if (delivered === 'closed') return;
      ctx.changed();
    }
    const open = playlist.open;
    if (open && playlist.partTarget !== undefined && state.started && (state.lastEncoderSequence === null || open.sequence === state.lastEncoderSequence + 1)) {
      await this.sendParts(open.sequence, open.parts, playlist.partTarget, open.programDateTime);
    }
    if (playlist.ended && state.started && !ctx.isClosed()) {
      state.ended = true;
      this.lifecycle('ended');
      ctx.changed();
    }
  }

  /**
   * The rendition left the encoder's layout (its variant is gone from the master playlist): ended
   * like an EXT-X-ENDLIST. If it comes back, that is a new playlist after an end: a new session.
   */
  endLeft(): void {
    if (!this.state.started || this.state.ended) return;
    this.state.ended = true;
    this.lifecycle('ended');
    this.ctx.changed();
  }

  /** The parts of the segment that gets Relaycast's next sequence, those not sent yet. */
  private sendParts(encoderSequence: number, parts: readonly MediaPart[], partTarget: number, programDateTime: string | undefined): Promise<void> {
    const { state, ctx } = this;
    const owner = { stream: ctx.stream, rendition: ctx.rendition, session: state.session, encoderSequence, sequence: state.nextSequence, partTarget };
    return this.parts.send(programDateTime ? { ...owner, programDateTime } : owner, parts);
  }

  private lifecycle(event: LifecycleEvent): void {
    const { state, ctx } = this;
    const msg: LifecycleMsg = {
      topic: 'lifecycle',
      payload: {
        event,
        stream: ctx.stream,
        rendition: ctx.rendition,
        session: state.session,
        sequence: event === 'ended' ? Math.max(state.nextSequence - 1, 0) : state.nextSequence,
      },
    };
    if (ctx.variant) msg.payload.variant = ctx.variant;
    ctx.emit(msg);
  }

  private resolveListed(uri: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
      throw new RelaycastError('E_SEGMENT_URI_UNSUPPORTED', `${uri} is a URL, not a file the encoder wrote`);
    }
    const resolved = path.resolve(this.playlistDir, uri);
    if (!isInside(this.ctx.root, resolved)) {
      throw new RelaycastError('E_PATH_OUTSIDE', `${uri} points outside the watched folder ${this.ctx.root}`);
    }
    return resolved;
  }

  private async readInit(entry: MediaEntry): Promise<InitSection | undefined> {
    if (!entry.initUri) return undefined;
    const initPath = this.resolveListed(entry.initUri);
    const file = await this.ctx.files.take(initPath, () => this.ctx.isClosed());
    return {
      uri: entry.initUri,
      path: file.path,
      bytes: file.bytes,
      byteLength: file.bytes.length,
      sha256: file.sha256,
      contentType: contentTypeFor(entry.initUri),
    };
  }

  /**
   * After a restart: what was sent but never confirmed (lost in a crash, or dropped by Node-RED
   * while the flow stopped) goes out again, with its own sequence, if the encoder still lists it.
   * What already arrived is refused downstream as a duplicate; nothing is listed twice.
   */
  private async deliverUnconfirmed(playlist: MediaPlaylistInfo): Promise<void> {
    const { state, ctx } = this;
    for (const d of [...(state.unconfirmed ?? [])]) {
      if (ctx.isClosed()) return;
      if (d.session !== state.session) continue;
      const entry = playlist.entries.find((e) => e.sequence === d.encoderSequence && e.uri === d.uri);
      if (!entry || !isSegmentDuration(entry.duration)) continue;
      if ((await this.deliver(entry, playlist.targetDuration, { sequence: d.sequence, discontinuity: d.discontinuity })) === 'closed') return;
    }
  }

  /**
   * A stage downstream restarted, or manifest misses what came before one delivery (a partial
   * deploy; lib/pipeline/delivery-receipts.ts): the unconfirmed go out again, in order, at the start of the
   * next pass (in the background: the caller may be a node not wired yet). With `wanted`, only if
   * that delivery is among them; returns whether they will go out.
   */
  resendUnconfirmed(wanted?: { session: string; sequence: number }): boolean {
    const list = this.state.unconfirmed ?? [];
    if (list.length === 0 || this.ctx.isClosed()) return false;
    // Only the current session's go out again (deliverUnconfirmed): an older one is no promise.
    if (wanted && (wanted.session !== this.state.session || !list.some((d) => d.session === wanted.session && d.sequence === wanted.sequence))) return false;
    this.ctx.resuming = true;
    inBackground(
      () => this.trigger(),
      (err) => this.ctx.error(toRelaycastError(err, 'E_WATCH_INTERNAL')),
    );
    return true;
  }

  private async deliver(entry: MediaEntry, targetDuration: number, again?: { sequence: number; discontinuity: boolean }): Promise<'sent' | 'gap' | 'closed'> {
    const { state, ctx } = this;
    const base = {
      stream: ctx.stream,
      rendition: ctx.rendition,
      session: state.session,
      encoderSequence: entry.sequence,
      duration: entry.duration,
      // Carried so manifest can fix a target that later, longer segments still fit.
      ...(Number.isInteger(targetDuration) && targetDuration > 0 ? { targetDuration } : {}),
      ...(again ? { redelivered: true } : {}),
      uri: entry.uri,
      path: path.resolve(this.playlistDir, entry.uri),
      contentType: contentTypeFor(entry.uri),
    };
    let file: FileBytes;
    let init: InitSection | undefined;
    try {
      const segmentPath = this.resolveListed(entry.uri);
      file = await ctx.files.take(segmentPath, () => ctx.isClosed());
      init = await this.readInit(entry);
    } catch (err) {
      const error = toRelaycastError(err, 'E_SEGMENT_LOST');
      if (error.code === 'E_CLOSED') return 'closed';
      const discontinuity = again ? again.discontinuity : entry.discontinuity || state.pendingDiscontinuity;
      const gap: GapMsg = {
        topic: 'gap',
        payload: { reason: 'segment-lost', code: error.code, message: error.message },
        segment: { ...base, sequence: again ? again.sequence : state.nextSequence, discontinuity },
      };
      this.decorate(gap.segment, entry);
      if (!again) {
        this.recordUnconfirmed(entry, gap.segment.sequence, discontinuity);
        state.nextSequence += 1;
        state.lastEncoderSequence = entry.sequence;
        state.lastUri = entry.uri;
        state.lastFile = null;
        // Whatever follows a hole must not be played as if it continued the one before.
        state.pendingDiscontinuity = true;
      }
      await ctx.journal();
      ctx.error(error, gap);
      ctx.emit(gap);
      return 'gap';
    }
    const segment: SegmentInfo = {
      ...base,
      sequence: again ? again.sequence : state.nextSequence,
      byteLength: file.bytes.length,
      sha256: file.sha256,
      discontinuity: again ? again.discontinuity : entry.discontinuity || state.pendingDiscontinuity,
    };
    this.decorate(segment, entry);
    if (!again) {
      this.recordUnconfirmed(entry, segment.sequence, segment.discontinuity);
      state.nextSequence += 1;
      state.lastEncoderSequence = entry.sequence;
      state.lastUri = entry.uri;
      state.lastFile = file.identity;
      state.pendingDiscontinuity = false;
    }
    const msg: SegmentMsg = { topic: 'segment', payload: file.bytes, segment };
    if (init) msg.init = init;
    await ctx.journal();
    ctx.emit(msg);
    return 'sent';
  }

  /**
   * A listed entry the contract does not allow (EXTINF:0, or longer than an hour): reported and
   * skipped, never sent on (r2-upload would store what manifest then refuses). It keeps no
   * Relaycast sequence; what follows is marked as a discontinuity, as after any hole.
   */
  private refuseEntry(entry: MediaEntry): void {
    const { state, ctx } = this;
    state.lastEncoderSequence = entry.sequence;
    state.lastUri = entry.uri;
    state.lastFile = null;
    state.pendingDiscontinuity = true;
    ctx.error(
      new RelaycastError(
        'E_SEGMENT_BAD_DURATION',
        `${ctx.stream}/${ctx.rendition}: ${entry.uri} is listed with EXTINF ${entry.duration}, outside (0, ${MAX_SEGMENT_SECONDS}] s; not delivered`,
      ),
    );
  }

  private recordUnconfirmed(entry: MediaEntry, sequence: number, discontinuity: boolean): void {
    const { state } = this;
    if (!state.confirming && !this.ctx.receiptsExpected?.()) return;
    state.confirming = true;
    const list = (state.unconfirmed ??= []);
    list.push({ session: state.session, encoderSequence: entry.sequence, uri: entry.uri, sequence, discontinuity });
    if (list.length > MAX_UNCONFIRMED) list.splice(0, list.length - MAX_UNCONFIRMED);
  }

  private decorate(segment: Partial<SegmentInfo>, entry: MediaEntry): void {
    if (entry.programDateTime) segment.programDateTime = entry.programDateTime;
    if (this.ctx.variant) segment.variant = this.ctx.variant;
    const followed = this.ctx.followed?.() ?? [];
    if (followed.length > 1) segment.renditions = [...followed];
  }

  /**
   * Something happened to the playlist (file event, timer, rescan): read it and apply it.
   * Calls while a pass runs fold into one more pass, so msgs never interleave or reorder.
   */
  trigger(): Promise<void> {
    return this.syncs.run();
  }

  /** Resolves when no pass is running (close waits for it). */
  whenIdle(): Promise<void> {
    return this.syncs.whenIdle();
  }

  cancelTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async syncOnce(): Promise<void> {
    const { ctx } = this;
    let text: string;
    try {
      text = await readPlaylistText(ctx.playlistPath, ctx.maxPlaylistBytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // not written yet, or cleaned up
      this.reportOnce(toRelaycastError(err, 'E_PLAYLIST_UNREADABLE'));
      return;
    }
    let playlist;
    try {
      playlist = parsePlaylist(text);
    } catch (err) {
      // A writer that does not rename (Owncast's own playlist writer) can be caught mid-write:
      // only the same bad text seen twice, a moment apart, is reported.
      if (text !== this.suspectText) {
        this.suspectText = text;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          // Nothing awaits this re-read: its failure goes to the error path, never unhandled.
          inBackground(
            () => this.trigger(),
            (failure) => this.ctx.error(toRelaycastError(failure, 'E_WATCH_INTERNAL')),
          );
        }, MALFORMED_RECHECK_MS);
        return;
      }
      const error = toRelaycastError(err, 'E_PLAYLIST_MALFORMED');
      this.reportOnce(new RelaycastError(error.code, `${ctx.playlistPath}: ${error.message}`, { cause: err }));
      return;
    }
    this.suspectText = null;
    if (playlist.kind !== 'media') {
      // Followed while it did not parse, and it turned out to be a master: the layout changed.
      ctx.layoutChanged();
      return;
    }
    if (this.problems.clear(PLAYLIST_PROBLEM)) ctx.recovered();
    await this.apply(playlist);
  }

  /** One report per distinct problem, not one per file event or timer tick. */
  private reportOnce(err: RelaycastError): void {
    if (this.problems.raise(PLAYLIST_PROBLEM, err)) this.ctx.error(err);
  }
}
