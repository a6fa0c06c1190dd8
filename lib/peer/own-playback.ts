/**
 * A viewer's own playback comes before what it uploads. Its downloads need its uplink too (HTTP and
 * SCTP acknowledgements, requests): on a 1 Mb/s home uplink kept full by uploads, its own segments
 * arrived late and it stalled. So uploads pause while the player waits for a segment and either
 * the uplink is full or that segment is about to miss (or has missed) its deadline while uploads
 * still hold the uplink. An idle uplink costs the player nothing: uploads then go on.
 */

/** A transfer this close to its deadline is late enough for uploads to stand aside. */
export const LATE_MARGIN_MS = 1000;

export interface OwnTransfer {
  /** When the player needs it (platform time); undefined for a prefetch nobody waits for yet. */
  readonly deadline: number | undefined;
  readonly finished: boolean;
}

export interface UplinkState {
  /** Bytes are queued in some send buffer. */
  busy: boolean;
  /** Sending about as fast as the measured uplink carries. */
  saturated: boolean;
}

export function ownPlaybackNeedsUplink(transfers: Iterable<OwnTransfer>, now: number, uplink: UplinkState): boolean {
  if (!uplink.busy && !uplink.saturated) return false;
  for (const transfer of transfers) {
    if (transfer.finished || transfer.deadline === undefined) continue;
    if (uplink.saturated || now >= transfer.deadline - LATE_MARGIN_MS) return true;
  }
  return false;
}
