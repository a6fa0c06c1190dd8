// Which holder fills which piece, case by case: the soonest finisher takes each piece, at most
// PIPELINE at once; a slow holder gets nothing a fast one can finish sooner; a piece that would be
// late moves to an idle holder that is sooner; nothing moves when it would not help.
import assert from 'node:assert/strict';
import { MOVE_MARGIN_MS, nextStep, PIPELINE, type PlanInput, type PlannedTransfer } from '../../../lib/peer/piece-plan';
import { SegmentPieces } from '../../../lib/peer/segment-pieces';

type Holder = { id: string; rate: number; queued: number };

function input(pieces: SegmentPieces<Holder>, holders: Holder[], transfers: Array<PlannedTransfer<Holder>> = [], deadline = 3000): PlanInput<Holder> {
  return {
    pieces: pieces.pieces,
    transfers,
    holders,
    rate: (h) => h.rate,
    queued: (h) => h.queued + transfers.filter((t) => t.link === h).reduce((n, t) => n + SegmentPieces.remaining(t.piece), 0),
    random: () => 0,
    now: 0,
    deadline,
  };
}

/** Runs the plan to rest, as Acquisition.plan does, and says which holder got which piece. */
function settle(pieces: SegmentPieces<Holder>, holders: Holder[], transfers: Array<PlannedTransfer<Holder>> = [], deadline = 3000) {
  for (let i = 0; i < 20; i++) {
    const step = nextStep(input(pieces, holders, transfers, deadline));
    if (!step) break;
    if (step.kind === 'ask') transfers.push({ link: step.link, piece: step.piece });
    else transfers.splice(transfers.indexOf(step.transfer), 1, { link: step.link, piece: step.transfer.piece });
  }
  return transfers.map((t) => `${t.piece.index}:${t.link.id}`);
}

describe('piece plan', () => {
  it('spreads pieces over equal holders, PIPELINE at a time each, in order', () => {
    const a = { id: 'A', rate: 1_000_000, queued: 0 };
    const b = { id: 'B', rate: 1_000_000, queued: 0 };
    assert.equal(PIPELINE, 2);
    assert.deepEqual(settle(new SegmentPieces(450_000), [a, b]), ['0:A', '1:B', '2:A', '3:B']);
  });

  it('gives a slow holder nothing that a fast one finishes sooner, even behind its queue', () => {
    const fast = { id: 'FAST', rate: 2_500_000, queued: 0 };
    const slow = { id: 'SLOW', rate: 125_000, queued: 0 };
    assert.deepEqual(settle(new SegmentPieces(225_000), [slow, fast]), ['0:FAST', '1:FAST']);
    // A holder already busy for me counts what it still has to send: 0.8 s before it could start,
    // so the slow one (0.45 s a piece) takes the first piece, and the rest go where they end sooner.
    const busy = { id: 'BUSY', rate: 2_500_000, queued: 2_000_000 };
    assert.deepEqual(settle(new SegmentPieces(225_000), [slow, busy]), ['0:SLOW', '1:BUSY', '2:BUSY']);
    assert.equal(nextStep(input(new SegmentPieces(225_000), [])), undefined, 'no holder, nothing to do');
  });

  it('moves the piece expected to finish after the deadline to an idle holder that is sooner', () => {
    const pieces = new SegmentPieces<Holder>(225_000);
    const slow = { id: 'SLOW', rate: 50_000, queued: 0 };
    const fast = { id: 'FAST', rate: 2_500_000, queued: 0 };
    const [p0, p1, p2, p3] = pieces.pieces;
    // Everything asked: the fast holder finished its pieces; the slow one still has two (≈ 2.3 s).
    for (const p of [p0, p1]) p.filled = p.end - p.start;
    const transfers = [
      { link: slow, piece: p2 },
      { link: slow, piece: p3 },
    ];
    assert.deepEqual(settle(pieces, [slow, fast], transfers.slice(), 1000), ['2:SLOW', '3:FAST'], 'the late one moves');
    assert.deepEqual(settle(pieces, [slow, fast], transfers.slice(), 2300 + MOVE_MARGIN_MS + 100), ['2:SLOW', '3:SLOW'], 'on time: nothing moves');
    assert.deepEqual(settle(pieces, [slow], transfers.slice(), 1000), ['2:SLOW', '3:SLOW'], 'no one sooner: it stays (HTTP takes it at the deadline)');
  });
});
