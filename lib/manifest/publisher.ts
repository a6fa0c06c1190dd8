/**
 * The one order every new playlist version follows: apply → persist → serve → confirm → send.
 * Served and sent only once its state is on disk, so a crash can never hand its media sequence
 * numbers to other segments; confirmed (to hls-watch, lib/pipeline/delivery-receipts.ts) only once saved, so
 * a msg lost by a crash is delivered again. The node shell only turns what comes back into msgs.
 */
import type { SegmentInfo } from '../protocol/msgs';
import { DurableView } from './durable-view';
import type { ManifestCore, ManifestUpdate, RenderedPlaylist } from './manifest-core';

/** Where the state goes (the node's ManifestStateStore); none = memory only. */
export interface ManifestStateSink {
  saveDurably(core: ManifestCore): Promise<void>;
}

/** Who is told that a segment or gap msg is handled and saved (sharedReceipts in the node). */
export type ConfirmDelivery = (stream: string, rendition: string, session: string, sequence: number) => void;

export interface PublisherOptions {
  core: ManifestCore;
  state?: ManifestStateSink;
  /** Refuses a msg before the core sees it (ManifestPaths.refuseShadowedRendition). */
  check?(stream: unknown, rendition: unknown): void;
  /** A media playlist version is now served (PlaylistEndpoints.published wakes blocked reloads). */
  served(p: RenderedPlaylist): void;
  confirm: ConfirmDelivery;
}

/** The new versions to send, in order (media then master), and the segment msg that made them. */
export interface Publication {
  playlists: RenderedPlaylist[];
  segment?: SegmentInfo;
  /** Not handled yet: hls-watch sends it again, after the ones it skipped. */
  comesAgain?: true;
}

type Ids = { stream?: unknown; rendition?: unknown; session?: unknown; sequence?: unknown };
type IncomingMsg = { topic?: unknown; segment?: Ids; part?: Ids };

export class ManifestPublisher {
  /** What is served: only versions whose state is on disk. */
  readonly durable: DurableView;

  constructor(private readonly options: PublisherOptions) {
    this.durable = new DurableView(options.core);
    // Whatever the core holds now was just restored from disk, or is nothing yet.
    this.durable.takeAll();
  }

  /** One input msg. Throws the core's refusal (with its code) after saving any state it moved. */
  async apply(msg: unknown): Promise<Publication> {
    const incoming = (msg ?? {}) as IncomingMsg;
    const ids = incoming.segment ?? incoming.part;
    this.options.check?.(ids?.stream, ids?.rendition);
    let update: ManifestUpdate;
    try {
      update = this.options.core.apply(msg);
    } catch (err) {
      // Even a refused msg can move state (a refused over-long segment marks a discontinuity).
      await this.persist();
      // Handled for good, if refused: sending it again would not change that.
      this.confirm(incoming);
      throw err;
    }
    // Not handled, so not confirmed: hls-watch sends it again, after the ones it skipped.
    if (update.comesAgain) return { playlists: [], comesAgain: true };
    const playlists = await this.publish([update]);
    this.confirm(incoming);
    const segment = incoming.topic === 'segment' ? (incoming.segment as SegmentInfo | undefined) : undefined;
    return segment ? { playlists, segment } : { playlists };
  }

  /** Held ENDLISTs whose grace has passed, and streams idle for `idleEndMs` (0 = never). */
  async endStreams(idleEndMs: number): Promise<RenderedPlaylist[]> {
    const core = this.options.core;
    const updates = [...core.endDue(), ...(idleEndMs > 0 ? core.endIdle(idleEndMs) : [])];
    return updates.length === 0 ? [] : this.publish(updates);
  }

  private persist(): Promise<void> {
    return this.options.state ? this.options.state.saveDurably(this.options.core) : Promise.resolve();
  }

  /** Persist, then serve: the versions of `updates` as they are to be sent. */
  private async publish(updates: ManifestUpdate[]): Promise<RenderedPlaylist[]> {
    await this.persist();
    const out: RenderedPlaylist[] = [];
    for (const update of updates) {
      this.durable.take(update);
      for (const p of update.media) this.options.served(p);
      out.push(...update.media);
      if (update.master) out.push(update.master);
    }
    return out;
  }

  private confirm(msg: IncomingMsg): void {
    if ((msg.topic !== 'segment' && msg.topic !== 'gap') || !msg.segment) return;
    const { stream, rendition, session, sequence } = msg.segment;
    if (typeof stream === 'string' && typeof rendition === 'string' && typeof session === 'string' && typeof sequence === 'number') {
      this.options.confirm(stream, rendition, session, sequence);
    }
  }
}
