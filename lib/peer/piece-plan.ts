/**
 * Which holder fills which piece of a segment (segment-pieces.ts), decided one step at a time from
 * what each holder is expected to deliver: a piece goes to the holder that would finish it soonest
 * behind what it already sends me, so a fast holder takes most pieces and a slow one only what it
 * can finish as soon; a holder is asked at most PIPELINE pieces at once (the next request is queued
 * at the uploader before the current piece ends, so no round trip is lost between pieces). When
 * every piece is asked for, a piece whose holder would finish it after the deadline moves to a
 * holder that finishes it sooner: a slow holder loses its ranges to a faster one, and the deadline's
 * HTTP fallback takes whatever is still late.
 */
import { SegmentPieces, type Piece } from './segment-pieces';

/** Pieces asked of one holder at once, per segment. */
export const PIPELINE = 2;
/** A piece expected this close to the deadline, or later, is moved to a holder that is sooner. */
export const MOVE_MARGIN_MS = 250;

export interface PlannedTransfer<L> {
  readonly link: L;
  readonly piece: Piece;
}

export interface PlanInput<L> {
  readonly pieces: readonly Piece[];
  /** Transfers running for this segment, in the order they were asked. */
  readonly transfers: ReadonlyArray<PlannedTransfer<L>>;
  /** Linked holders of the segment that may be asked (not avoided). */
  readonly holders: readonly L[];
  /** Bytes/s expected from the holder to me now. */
  rate(link: L): number;
  /** Bytes the holder still has to send me, for every segment (what a new piece waits behind). */
  queued(link: L): number;
  /** ∈ [0,1): near-ties are broken at random, so a swarm does not pile onto one holder. */
  random(): number;
  readonly now: number;
  /** When the bytes are needed (the player's deadline, or a prefetch's own budget). */
  readonly deadline: number;
}

export type PlanStep<L> = { kind: 'ask'; link: L; piece: Piece } | { kind: 'move'; transfer: PlannedTransfer<L>; link: L };

/** The next step, or undefined when nothing should change now. */
export function nextStep<L>(input: PlanInput<L>): PlanStep<L> | undefined {
  const open = input.pieces.filter((piece) => !SegmentPieces.done(piece) && !input.transfers.some((t) => t.piece === piece));
  if (open.length > 0) {
    const piece = open[0];
    const best = soonest(input, input.holders, SegmentPieces.remaining(piece));
    if (best === undefined || asked(input, best) >= PIPELINE) return undefined;
    return { kind: 'ask', link: best, piece };
  }
  return lateMove(input);
}

/** The running transfer expected to finish latest, if that is past the deadline and another holder is sooner. */
function lateMove<L>(input: PlanInput<L>): PlanStep<L> | undefined {
  let latest: { transfer: PlannedTransfer<L>; at: number } | undefined;
  for (const transfer of input.transfers) {
    // A holder sends what it was asked in order: its last piece ends when its queue does (≥: ties go to the later one).
    const at = input.now + (input.queued(transfer.link) / Math.max(1, input.rate(transfer.link))) * 1000;
    if (!latest || at >= latest.at) latest = { transfer, at };
  }
  if (!latest || latest.at < input.deadline - MOVE_MARGIN_MS) return undefined;
  const idle = input.holders.filter((link) => link !== latest.transfer.link && asked(input, link) === 0);
  const bytes = SegmentPieces.remaining(latest.transfer.piece);
  const best = soonest(input, idle, bytes);
  if (best === undefined || input.now + finishMs(input, best, bytes) >= latest.at) return undefined;
  return { kind: 'move', transfer: latest.transfer, link: best };
}

function soonest<L>(input: PlanInput<L>, holders: readonly L[], bytes: number): L | undefined {
  let best: L | undefined;
  let bestMs = Infinity;
  for (const link of holders) {
    const ms = finishMs(input, link, bytes) * (1 + 0.2 * input.random());
    if (ms < bestMs) {
      best = link;
      bestMs = ms;
    }
  }
  return best;
}

/** How long `link` would take to deliver `bytes` more, behind what it already sends me. */
function finishMs<L>(input: PlanInput<L>, link: L, bytes: number): number {
  return ((input.queued(link) + bytes) / Math.max(1, input.rate(link))) * 1000;
}

function asked<L>(input: PlanInput<L>, link: L): number {
  return input.transfers.filter((t) => t.link === link).length;
}
