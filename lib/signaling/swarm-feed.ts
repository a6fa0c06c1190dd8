/**
 * The swarm feed: what the operator's flow pushes to the viewers — each new segment (naming who
 * fetches it first) and each new playlist version. Follows hls-watch session changes, auditing them.
 */
import type { AnnouncementStore } from './announcements';
import type { FetcherChoice } from './fetchers';
import { playlistFrame, type PlaylistStore, type PlaylistVersion } from './playlists';
import type { SegmentAnnouncement, SegmentFrame } from './protocol';
import type { ReceiptDesk } from './receipt-desk';
import { renditionKeyOf, swarmKeyOf, type PeerRecord, type SwarmRegistry } from './registry';
import type { SignalingContext } from './session';
import { encodeServerFrame } from '../protocol';

const MAX_RENDITIONS_PER_STREAM = 64;

export class SwarmFeed {
  /** Segments announced since start (the stats output). */
  announced = 0;
  /** stream → renditions announced for it (the viewer page's first rendition; freed state). Operator input. */
  private readonly renditionsByStream = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: SignalingContext,
    private readonly registry: SwarmRegistry,
    private readonly announcements: AnnouncementStore,
    private readonly playlists: PlaylistStore,
    private readonly fetchers: FetcherChoice,
    private readonly receipts: ReceiptDesk,
  ) {}

  /**
   * Pushes a new segment to its swarm, naming who fetches it first. Returns the peers told (0 for a
   * replay). With a shared registry the announcement also goes to every other instance, with the
   * fetchers chosen here (`chosen`: this instance received it from the one that chose them).
   */
  announce(segment: SegmentAnnouncement, chosen?: string[]): number {
    const added = this.announcements.add(segment);
    if (added === 'ignored') return 0;
    this.announced++;
    this.rememberRendition(segment.stream, segment.rendition);
    const key = renditionKeyOf(segment.stream, segment.rendition);
    const swarm = swarmKeyOf(segment.stream);
    const where = { stream: segment.stream, rendition: segment.rendition };
    if (added === 'session-restarted') {
      // Sequence numbers start over: receipts for the old numbers must not be taken for the new ones.
      this.receipts.forgetSwarm(key);
      this.ctx.audit({
        kind: 'session',
        code: 'SESSION_RESTARTED',
        ...where,
        message: `hls-watch session ${segment.session} restarted the sequence at ${segment.sequence}; the previous window was dropped`,
      });
    } else if (added === 'session-changed') {
      this.ctx.audit({
        kind: 'session',
        code: 'SESSION_CHANGED',
        ...where,
        message: `hls-watch session ${segment.session} continues at sequence ${segment.sequence}`,
      });
    }
    this.receipts.prune(key);
    const rate = segment.duration > 0 ? segment.size / segment.duration : 0;
    // Fetchers are named among the peers playing this rendition: the first holder of a segment must be one that wants it.
    const playing = (member: PeerRecord) => member.rendition === segment.rendition;
    const fetchers = chosen ?? this.fetchers.choose(key, this.registry.supporters(swarm).filter(playing), this.registry.members(swarm).filter(playing), rate);
    if (!chosen) this.ctx.cluster?.broadcast({ kind: 'segment', segment, fetchers });
    const frame: SegmentFrame = {
      type: 'segment',
      sequence: segment.sequence,
      rendition: segment.rendition,
      url: segment.url,
      size: segment.size,
      sha256: segment.sha256,
      duration: segment.duration,
      fetchers,
    };
    return this.broadcast(swarm, encodeServerFrame(frame), segment.rendition);
  }

  /**
   * Pushes a playlist version to the peers that play it: a media playlist to the peers of the
   * stream's swarm on that rendition, a master playlist to all of them. Returns the peers told (0
   * when it did not change).
   */
  pushPlaylist(version: PlaylistVersion, fromInstance = false): number {
    const change = this.playlists.set(version);
    if (!change) return 0;
    if (!fromInstance) this.ctx.cluster?.broadcast({ kind: 'playlist', version });
    const frame = playlistFrame(change);
    return this.broadcast(swarmKeyOf(version.stream), frame, version.rendition ?? undefined);
  }

  /** To the swarm's members, or to those playing `rendition` (announcements and media playlists are per rendition). */
  private broadcast(swarmKey: string, frame: string, rendition?: string): number {
    let told = 0;
    // Copy: a send can close a slow consumer, which removes it from the member array mid-loop.
    for (const member of this.registry.members(swarmKey).slice()) {
      if (rendition !== undefined && member.rendition !== rendition) continue;
      const target = this.ctx.sessionOf(member.id);
      if (target) {
        this.ctx.send(target, frame);
        told++;
      }
    }
    return told;
  }

  renditionsOf(stream: string): string[] {
    return [...(this.renditionsByStream.get(stream) ?? [])];
  }

  private rememberRendition(stream: string, rendition: string): void {
    let renditions = this.renditionsByStream.get(stream);
    if (!renditions) {
      // Operator input; the bound only guards against a flow cycling through stream names.
      if (this.renditionsByStream.size >= Math.max(this.ctx.limits.maxSwarms, 1024)) {
        this.renditionsByStream.delete(this.renditionsByStream.keys().next().value as string);
      }
      renditions = new Set();
      this.renditionsByStream.set(stream, renditions);
    }
    if (renditions.size < MAX_RENDITIONS_PER_STREAM) renditions.add(rendition);
  }
}
