/**
 * Time per segment of a DVR playlist (every segment kept) at 1,000 and at 10,000 listed segments:
 * the manifest core's whole apply() of one segment (new media version, its ETag, the master), and
 * beside it a full render of the same playlist (renderMediaPlaylist + hashing the whole text),
 * which is what every segment cost before the body was kept between versions. Flat from 1,000 to
 * 10,000 means linear overall; growing 10× means quadratic.
 *
 * Also prints, for scale, what stays proportional to the history outside the core: the state
 * snapshot the node writes with each version (snapshot() + JSON.stringify).
 *
 *   npx tsx bench/manifest-dvr.ts [--segments 200]
 *
 * Target (issue 14, defect 11): time per segment does not grow with the DVR history. Asserts nothing.
 */
import { ManifestCore } from '../lib/manifest';
import { etagOf } from '../lib/manifest/etag';
import { renderMediaPlaylist } from '../lib/manifest/media-renderer';
import type { RenditionState } from '../lib/manifest/rendition';
import { segmentMsg } from '../test/support/manifest-msgs';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MEASURED = arg('segments', 200);

interface Figures { history: number; applyUs: number; fullRenderUs: number; snapshotUs: number; textKB: number }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 0.5);

function measure(history: number): Figures {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const core = new ManifestCore({ dvr: true, clock: () => now });
  const msg = (sequence: number) => segmentMsg({ sequence, byteLength: 250_000 + (sequence % 7) * 1000 });
  for (let i = 0; i < history; i++) { core.apply(msg(i)); now += 2000; }
  const apply: number[] = [];
  const full: number[] = [];
  const snapshot: number[] = [];
  let text = '';
  // First the core alone, so the garbage of the comparisons below does not land in its figure.
  for (let i = history; i < history + MEASURED; i++) {
    const m = msg(i);
    const t = process.hrtime.bigint();
    const update = core.apply(m);
    apply.push(Number(process.hrtime.bigint() - t) / 1000);
    now += 2000;
    text = update.media[0]!.text;
  }
  // Then, on the same history, what stays proportional to it.
  for (let i = 0; i < Math.min(MEASURED, 50); i++) {
    let t = process.hrtime.bigint();
    const state = core.snapshot();
    JSON.stringify(state);
    snapshot.push(Number(process.hrtime.bigint() - t) / 1000);

    // What one segment used to cost: the whole playlist written and hashed again.
    const r = state.streams[0]!.renditions[0] as RenditionState;
    t = process.hrtime.bigint();
    etagOf(renderMediaPlaylist(r, 2));
    full.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return { history, applyUs: median(apply), fullRenderUs: median(full), snapshotUs: median(snapshot), textKB: Buffer.byteLength(text) / 1024 };
}

// Warm up the JIT on a small history first, so the first figure is not the compiler's.
measure(200);
const rows = [measure(1000), measure(10_000)];
console.log(`manifest DVR, median µs per segment over ${MEASURED} segments appended to a history of N (Node ${process.version})`);
console.log('N        playlist KB   core apply (incremental)   full render + ETag (before)   snapshot+JSON (state file)');
for (const r of rows) {
  console.log(`${String(r.history).padEnd(8)} ${r.textKB.toFixed(0).padStart(11)}   ${r.applyUs.toFixed(1).padStart(24)}   ${r.fullRenderUs.toFixed(1).padStart(27)}   ${r.snapshotUs.toFixed(1).padStart(26)}`);
}
const [small, large] = rows as [Figures, Figures];
console.log(`RESULT core apply 10,000 / 1,000 = ${(large.applyUs / small.applyUs).toFixed(2)}× (full render: ${(large.fullRenderUs / small.fullRenderUs).toFixed(2)}×)`);
