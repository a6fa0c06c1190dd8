/**
 * A level switch (client `rendition`, protocol v3): the peer stays in its stream's swarm, keeps its
 * id, its neighbours and its negotiated links, and only what is per rendition moves with it. Its
 * audience figures stay with the rendition they were measured on; its held receipts and served
 * claims go (they name segments by sequence, which is only meaningful within one rendition); its
 * join mark is renewed, so that, as after a join, it is credited only for segments of the new
 * rendition announced after it arrived. The answer carries the new rendition's latest
 * announcements and media playlist, as a welcome does.
 */
import type { AnnouncementStore } from './announcements';
import type { AudienceStats } from './audience-stats';
import { withoutStream } from './membership';
import type { PlaylistStore } from './playlists';
import type { RenditionMessage } from './protocol';
import type { ReceiptDesk } from './receipt-desk';
import { renditionKeyOf, type PeerRecord, type SwarmRegistry } from './registry';
import type { Session, SignalingContext } from './session';
import { encodeServerFrame } from '../protocol';

export interface RenditionSwitchParts {
  registry: SwarmRegistry;
  announcements: AnnouncementStore;
  playlists: PlaylistStore;
  receipts: ReceiptDesk;
  audience: AudienceStats;
}

export function switchRendition(ctx: SignalingContext, parts: RenditionSwitchParts, session: Session, peer: PeerRecord, msg: RenditionMessage): void {
  const stream = session.stream!;
  const renditionKey = renditionKeyOf(stream, msg.rendition);
  if (peer.role === 'supporter') {
    // Its token was verified for one rendition: a supporter changes rendition by joining again.
    return ctx.error(session, 'E_SIGNAL_UNAUTHORIZED', 'a supporter is admitted to one rendition; leave and join to change it');
  }
  // The same rule as a join: a rendition exists once a segment of it was announced (operator input,
  // so per-rendition state stays bounded whatever renditions clients name).
  if (!ctx.limits.openSwarms && !parts.announcements.has(renditionKey)) {
    return ctx.error(session, 'E_SIGNAL_UNKNOWN_SWARM', 'no segment has been announced for this rendition yet; retry later');
  }
  if (msg.rendition !== peer.rendition) {
    parts.audience.peerLeft(peer.renditionKey, peer.id);
    parts.receipts.forget(session);
    session.lastStatsAt = undefined;
    session.playingSince = ctx.now();
    peer.rendition = msg.rendition;
    peer.renditionKey = renditionKey;
    peer.latest = -1;
    peer.joinMark = parts.announcements.mark();
    session.rendition = msg.rendition;
    parts.registry.renditionChanged(peer);
  }
  const playlists = parts.playlists.forJoin(stream, msg.rendition).filter((p) => p.rendition !== null);
  const segments = parts.announcements.latest(renditionKey, ctx.limits.segmentsInWelcome).map(withoutStream);
  ctx.send(session, encodeServerFrame({ type: 'rendition', rendition: msg.rendition, segments, playlists }));
}
