/**
 * Time per segment of a DVR playlist (every segment kept) at 1,000 and at 10,000 listed segments:
 * the manifest core's whole apply() of one segment (new media version, its ETag, the master), and
 * beside it a full render of the same playlist (renderMediaPlaylist + hashing the whole text),
 * which is what every segment cost before the body was kept between versions. Flat from 1,000 to
 * 10,000 means linear overall; growing 10× means quadratic.
 *
 * Also prints, for scale, what stays proportional to the history outside the core: the state
 * snapshot (snapshot() + JSON.stringify), which the node wrote with each version before the state
 * file's format 2.
 *
 * Then the cost of persisting one version, old and new side by side on the same states, in one
 * run (first the old way, then the new, each over its own copy of the same history): old = StateFile.saveDurably(core.snapshot()),
 * the whole history in one atomically replaced file; new = ManifestStateStore.saveDurably(core)
 * (lib/manifest/state-store.ts), counters + newest entries, older entries appended to the history
 * log every 32 versions. "sync" is the part of the call that runs before it returns (copying and
 * serialising: CPU on the event loop); "durable" is until the promise resolves (the write, its
 * fsyncs, the rename): what a version waits for before it is served. The new mean includes the
 * history appends (one per 32 versions). Files go to a temp folder, or --dir (e.g. a slow disk:
 * bench/support/slow-disk.sh).
 *
 *   npx tsx bench/manifest-dvr.ts [--segments 200] [--persist 200] [--dir /mnt/slow]
 *
 * Target (issue 14, defect 11): time per segment, and per persisted version, does not grow with the
 * DVR history. Asserts nothing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManifestCore, ManifestStateStore } from '../lib/manifest';
import { StateFile } from '../lib/fs/json-state-file';
import { etagOf } from '../lib/manifest/etag';
import { renderMediaPlaylist } from '../lib/manifest/media-renderer';
import type { RenditionState } from '../lib/manifest/rendition';
import { segmentMsg } from '../test/support/manifest-msgs';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MEASURED = arg('segments', 200);
const PERSISTED = arg('persist', 200);
const dirArg = process.argv.indexOf('--dir');
const DIR = dirArg > 0 ? process.argv[dirArg + 1]! : os.tmpdir();

interface Figures {
  history: number;
  applyUs: number;
  fullRenderUs: number;
  snapshotUs: number;
  textKB: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const msg = (sequence: number) => segmentMsg({ sequence, byteLength: 250_000 + (sequence % 7) * 1000 });

function dvrCore(history: number): { core: ManifestCore; tick: () => void } {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const core = new ManifestCore({ dvr: true, clock: () => now });
  const tick = () => {
    now += 2000;
  };
  for (let i = 0; i < history; i++) {
    core.apply(msg(i));
    tick();
  }
  return { core, tick };
}

function measure(history: number): Figures {
  const { core, tick } = dvrCore(history);
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
    tick();
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
  console.log(
    `${String(r.history).padEnd(8)} ${r.textKB.toFixed(0).padStart(11)}   ${r.applyUs.toFixed(1).padStart(24)}   ${r.fullRenderUs.toFixed(1).padStart(27)}   ${r.snapshotUs.toFixed(1).padStart(26)}`,
  );
}
const [small, large] = rows as [Figures, Figures];
console.log(
  `RESULT core apply 10,000 / 1,000 = ${(large.applyUs / small.applyUs).toFixed(2)}× (full render: ${(large.fullRenderUs / small.fullRenderUs).toFixed(2)}×)`,
);

interface Persist {
  history: number;
  syncUs: number[];
  durableMs: number[];
  stateKB: number;
}
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/**
 * PERSISTED versions saved the old way, then PERSISTED saved the new way, each from its own copy of
 * the same history (so both see the same states). One after the other, not interleaved: on a
 * throttled disk the two writers would otherwise share (and distort) one budget.
 */
async function measurePersist(history: number): Promise<{ old: Persist; neu: Persist }> {
  const folder = mkdtempSync(path.join(DIR, 'relaycast-bench-dvr-'));
  try {
    const oldFile = new StateFile(path.join(folder, 'old', 'm.json'), { code: 'E_MANIFEST_STATE', what: 'manifest state' });
    const store = new ManifestStateStore(path.join(folder, 'new', 'm.json'));
    const phase = async (save: (core: ManifestCore) => Promise<void>): Promise<Persist> => {
      const { core, tick } = dvrCore(history);
      // The first save of a history not saved before (for the new store: the whole history once) is not measured.
      await save(core);
      const into: Persist = { history, syncUs: [], durableMs: [], stateKB: 0 };
      for (let i = 0; i < PERSISTED; i++) {
        core.apply(msg(history + 1 + i));
        tick();
        const t0 = process.hrtime.bigint();
        const written = save(core);
        const t1 = process.hrtime.bigint();
        await written;
        into.syncUs.push(ms(t0, t1) * 1000);
        into.durableMs.push(ms(t0, process.hrtime.bigint()));
      }
      return into;
    };
    const old = await phase((core) => oldFile.saveDurably(core.snapshot()));
    const neu = await phase((core) => store.saveDurably(core));
    old.stateKB = statSync(oldFile.file).size / 1024;
    neu.stateKB = statSync(store.file.file).size / 1024;
    return { old, neu };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function persistTable(): Promise<void> {
  await measurePersist(200);
  const results = [await measurePersist(1000), await measurePersist(10_000)];
  console.log('');
  console.log(
    `manifest DVR state persisted per version, ${PERSISTED} versions each way, files in ${DIR} (old = whole snapshot in one file; new = state file + history log)`,
  );
  console.log('N        state KB old/new   sync µs old / new (median)   durable ms old: median mean   new: median mean p99');
  for (const { old, neu } of results) {
    const o = [...old.durableMs].sort((a, b) => a - b);
    const n = [...neu.durableMs].sort((a, b) => a - b);
    console.log(
      `${String(old.history).padEnd(8)} ${`${old.stateKB.toFixed(0)} / ${neu.stateKB.toFixed(1)}`.padStart(16)}   ${`${median(old.syncUs).toFixed(0)} / ${median(neu.syncUs).toFixed(0)}`.padStart(26)}   ${percentile(o, 0.5).toFixed(2).padStart(20)} ${mean(o).toFixed(2).padStart(5)}   ${percentile(n, 0.5).toFixed(2).padStart(11)} ${mean(n).toFixed(2).padStart(5)} ${percentile(n, 0.99).toFixed(2).padStart(5)}`,
    );
  }
  const [a, b] = results as [{ old: Persist; neu: Persist }, { old: Persist; neu: Persist }];
  console.log(
    `RESULT persist sync part 10,000 / 1,000: old ${(median(b.old.syncUs) / median(a.old.syncUs)).toFixed(2)}×, new ${(median(b.neu.syncUs) / median(a.neu.syncUs)).toFixed(2)}×; durable mean: old ${(mean(b.old.durableMs) / mean(a.old.durableMs)).toFixed(2)}×, new ${(mean(b.neu.durableMs) / mean(a.neu.durableMs)).toFixed(2)}×`,
  );
}

persistTable().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
