// The manifest's state file (format 2) and its DVR history log (lib/manifest/state-store.ts): a save
// writes the counters and the newest entries only, the older ones are history lines; a restore joins
// them back exactly. Every kind of damage gives E_MANIFEST_STATE (and wall-clock numbering, files
// kept aside); a torn last line and lines a crash left uncounted are ignored; format 1 still restores;
// a "crash" at any point never lets an MSN that was served name another segment.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManifestCore, ManifestStateStore, restoreManifest, wallClockMediaSequence } from '../../../lib/manifest';
import { StateFile } from '../../../lib/fs/json-state-file';
import { TAIL_KEEP } from '../../../lib/manifest/state-store';
import { seededRandom } from '../../../devtools/fault-proxy/seeded-random';
import { lifecycleMsg, segmentMsg } from '../../support/manifest-msgs';

describe('manifest state store: state file + DVR history log', () => {
  let dir: string;
  let t: number;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-state-store-'));
    t = Date.parse('2026-06-01T00:00:00Z');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const folder = (userDir = dir) => path.join(userDir, 'relaycast', 'manifest');
  const storeIn = (userDir = dir) => ManifestStateStore.forNode(userDir, 'n1');
  const newCore = (options: Partial<ConstructorParameters<typeof ManifestCore>[0]> = {}) => new ManifestCore({ dvr: true, clock: () => t, ...options });
  const statePath = (userDir = dir) => path.join(folder(userDir), 'n1.json');
  const saved = (userDir = dir) => JSON.parse(readFileSync(statePath(userDir), 'utf8'));
  const historyPath = (userDir = dir) => path.join(folder(userDir), saved(userDir).history.file as string);

  /** Like the node: each msg applied, then its state saved before the version counts as served. */
  async function feed(core: ManifestCore, store: ManifestStateStore, from: number, to: number, spec: { session?: string } = {}): Promise<void> {
    for (let sequence = from; sequence < to; sequence++) {
      core.apply(segmentMsg({ sequence, ...spec }));
      t += 2000;
      await store.saveDurably(core);
    }
  }

  function restoredCore(userDir = dir, options = {}): { core: ManifestCore; lost: Error | undefined; store: ManifestStateStore } {
    const core = newCore(options);
    const store = storeIn(userDir);
    const lost = restoreManifest(core, store, t);
    return { core, lost, store };
  }

  it('keeps at most 2 × TAIL_KEEP entries in the state file, the rest as history lines, and restores the same bytes', async () => {
    const core = newCore();
    const store = storeIn();
    await feed(core, store, 0, 500);
    const state = saved();
    assert.equal(state.format, 2);
    const r = state.streams[0].renditions[0];
    assert.ok(r.entries.length >= TAIL_KEEP && r.entries.length < 2 * TAIL_KEEP, `${r.entries.length} entries in the state file`);
    assert.equal(r.archived + r.entries.length, 500);
    assert.equal(readFileSync(historyPath(), 'utf8').split('\n').length - 1, r.archived, 'one line per archived entry');
    const { core: after, lost, store: again } = restoredCore();
    assert.equal(lost, undefined);
    assert.equal(after.mediaPlaylist('demo', 'main')!.text, core.mediaPlaylist('demo', 'main')!.text);
    after.apply(segmentMsg({ sequence: 500 }));
    assert.equal(after.mediaPlaylist('demo', 'main')!.lastMsn, 500);
    await again.saveDurably(after);
    assert.equal(
      restoredCore().core.mediaPlaylist('demo', 'main')!.text,
      after.mediaPlaylist('demo', 'main')!.text,
      'and again after appending to the restored history',
    );
  });

  it('the state file does not grow with the DVR history', async () => {
    const core = newCore();
    const store = storeIn();
    await feed(core, store, 0, 200);
    const small = statSync(statePath()).size;
    await feed(core, store, 200, 2000);
    const large = statSync(statePath()).size;
    assert.ok(large < small * 1.5, `state file ${small} B at 200 segments, ${large} B at 2,000`);
  });

  it('restores a SNAPSHOT_FORMAT 1 file (written before the history log) and then saves it in format 2', async () => {
    const core = newCore();
    for (let sequence = 0; sequence < 150; sequence++) {
      core.apply(segmentMsg({ sequence }));
      t += 2000;
    }
    await StateFile.forNode(dir, 'manifest', 'n1', { code: 'E_MANIFEST_STATE', what: 'manifest state' }).saveDurably(core.snapshot());
    assert.equal(saved().format, 1);
    const { core: after, lost, store } = restoredCore();
    assert.equal(lost, undefined);
    assert.equal(after.mediaPlaylist('demo', 'main')!.text, core.mediaPlaylist('demo', 'main')!.text);
    await feed(after, store, 150, 151);
    assert.equal(saved().format, 2);
    const again = restoredCore().core;
    assert.equal(again.mediaPlaylist('demo', 'main')!.lastMsn, 150);
    assert.equal(again.mediaPlaylist('demo', 'main')!.text, after.mediaPlaylist('demo', 'main')!.text);
  });

  it('tolerates a torn last line and whole lines no state counts (a crash between the history and the state), and writes over them', async () => {
    const core = newCore();
    const store = storeIn();
    await feed(core, store, 0, 200);
    const expected = core.mediaPlaylist('demo', 'main')!.text;
    appendFileSync(historyPath(), `${JSON.stringify({ s: 'demo', r: 'main', p: 0, e: { msn: 999 } })}\n{"s":"demo","r":"ma`);
    const { core: after, lost, store: again } = restoredCore();
    assert.equal(lost, undefined);
    assert.equal(after.mediaPlaylist('demo', 'main')!.text, expected);
    await feed(after, again, 200, 300);
    const text = readFileSync(historyPath(), 'utf8');
    assert.ok(!text.includes('"msn":999') && !text.includes('"r":"ma\n'), 'what lay past the counted length was cut before the next lines');
    assert.equal(restoredCore().core.mediaPlaylist('demo', 'main')!.lastMsn, 299);
  });

  it('keeps a finished presentation (ENDLIST) in the history and serves it after a restore', async () => {
    const core = newCore({ endGraceSeconds: 0 });
    const store = storeIn();
    await feed(core, store, 0, 100);
    core.apply(lifecycleMsg('ended', {}));
    await store.saveDurably(core);
    await feed(core, store, 0, 3, { session: 's2' });
    const finished = core.mediaPlaylist('demo', 'main', 0)!.text;
    assert.match(finished, /#EXT-X-ENDLIST/);
    assert.equal(saved().streams[0].renditions[0].finishedRef, 0);
    assert.ok(!readFileSync(statePath(), 'utf8').includes('#EXT-X-ENDLIST'), 'the finished text is not in the state file');
    const after = restoredCore(dir, { endGraceSeconds: 0 }).core;
    assert.equal(after.mediaPlaylist('demo', 'main', 0)!.text, finished);
    assert.equal(after.mediaPlaylist('demo', 'main')!.text, core.mediaPlaylist('demo', 'main')!.text);
  });

  it('compacts the history when most of its lines left the window (a large window without DVR), deleting the old file', async () => {
    const core = newCore({ dvr: false, windowSegments: 100 });
    const store = storeIn();
    await feed(core, store, 0, 2500);
    const files = readdirSync(folder()).filter((f) => f.includes('.history-'));
    assert.deepEqual(files, [saved().history.file], 'only the current generation is left');
    assert.ok(/history-([2-9]|\d\d+)\.jsonl$/.test(files[0]), `compacted at least once (${files[0]})`);
    const lines = readFileSync(historyPath(), 'utf8').split('\n').length - 1;
    assert.ok(lines < 1200, `${lines} lines kept for a window of ~100`);
    assert.equal(restoredCore(dir, { dvr: false, windowSegments: 100 }).core.mediaPlaylist('demo', 'main')!.text, core.mediaPlaylist('demo', 'main')!.text);
  });

  it('a failed history append is reported, holds nothing back, and the next save writes the live lines as a new generation', async () => {
    const errors: Error[] = [];
    const core = newCore();
    const store = ManifestStateStore.forNode(dir, 'n1', { onError: (err) => errors.push(err) });
    await feed(core, store, 0, 100);
    const first = saved().history.file as string;
    // The next in-place append (FileHandle.write: the state file is written with writeFile) fails once.
    const fsp = await import('node:fs/promises');
    const probe = await fsp.open(__filename, 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const write = proto.write;
    proto.write = function () {
      proto.write = write;
      return Promise.reject(new Error('EIO: injected'));
    };
    try {
      await feed(core, store, 100, 140);
    } finally {
      proto.write = write;
    }
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
    assert.equal((errors[0] as { code?: string }).code, 'E_MANIFEST_STATE_WRITE');
    assert.notEqual(saved().history.file, first, 'a new generation');
    assert.deepEqual(
      readdirSync(folder()).filter((f) => f.includes('.history-')),
      [saved().history.file],
      'the old one is gone',
    );
    assert.equal(restoredCore().core.mediaPlaylist('demo', 'main')!.text, core.mediaPlaylist('demo', 'main')!.text);
  });

  it('remove() (the node was deleted from the flow) deletes the state file and every history file', async () => {
    const core = newCore();
    const store = storeIn();
    await feed(core, store, 0, 100);
    writeFileSync(path.join(folder(), 'n1.history-7.jsonl'), 'an orphan of a crash during a compaction\n');
    writeFileSync(path.join(folder(), 'n2.json'), '{}');
    await store.remove();
    assert.deepEqual(readdirSync(folder()), ['n2.json'], "another node's file stays");
  });

  describe('damage: E_MANIFEST_STATE, the files kept aside, numbering from the wall clock', () => {
    const damages: Array<[string, () => void]> = [
      ['the history file is missing', () => unlinkSync(historyPath())],
      ['the history is shorter than its state counts', () => truncateSync(historyPath(), statSync(historyPath()).size - 10)],
      [
        'a counted history line is not JSON',
        () => {
          const lines = readFileSync(historyPath(), 'utf8').split('\n');
          lines[5] = '#'.repeat(lines[5]!.length);
          writeFileSync(historyPath(), lines.join('\n'));
        },
      ],
      [
        'a counted history line names another MSN',
        () => {
          const text = readFileSync(historyPath(), 'utf8');
          assert.match(text, /"msn":7[,}]/);
          writeFileSync(historyPath(), text.replace(/"msn":7([,}])/, '"msn":8$1'));
        },
      ],
      [
        'a counted history line was dropped',
        () => {
          // In its place, a line of another rendition of the same length: every counted byte is JSON.
          const lines = readFileSync(historyPath(), 'utf8').split('\n');
          const filler = (pad: string) => JSON.stringify({ s: 'demo', r: 'other', p: 0, e: { msn: 3, pad } });
          lines[3] = filler('x'.repeat(lines[3]!.length - filler('').length));
          writeFileSync(historyPath(), lines.join('\n'));
        },
      ],
      [
        'the state names a history file elsewhere',
        () => {
          const state = saved();
          state.history.file = '../../x.history-1.jsonl';
          writeFileSync(statePath(), JSON.stringify(state));
        },
      ],
      [
        'the state counts more archived entries than the history has',
        () => {
          const state = saved();
          state.streams[0].renditions[0].archived += 1;
          writeFileSync(statePath(), JSON.stringify(state));
        },
      ],
      ['the state file is gone but its history is there', () => unlinkSync(statePath())],
      ['the state file is not JSON', () => writeFileSync(statePath(), '{"format": 2, "streams": [')],
    ];
    for (const [name, damage] of damages) {
      it(name, async () => {
        const core = newCore();
        const store = storeIn();
        await feed(core, store, 0, 200);
        damage();
        t += 60_000;
        const { core: after, lost, store: again } = restoredCore();
        assert.ok(lost instanceof Error, 'the loss is reported');
        assert.equal((lost as { code?: string }).code, 'E_MANIFEST_STATE', lost.message);
        assert.ok(
          readdirSync(folder()).some((f) => f.includes('.bad-')),
          'the damaged files are kept aside',
        );
        assert.ok(!readdirSync(folder()).some((f) => /\.history-\d+\.jsonl$/.test(f)), 'no history of the lost state is left to append to');
        after.apply(segmentMsg({ sequence: 200 }));
        assert.ok(after.mediaPlaylist('demo', 'main')!.lastMsn! >= wallClockMediaSequence(t), 'numbered above anything the lost state gave out');
        await again.saveDurably(after);
        assert.equal(restoredCore().lost, undefined, 'the new state restores');
      });
    }
  });

  it('a crash (SIGKILL) between any two file steps of a save never lets a served MSN name another segment', async function () {
    this.timeout(60_000);
    const random = seededRandom(20261201);
    const served = new Map<number, string>();
    const check = (core: ManifestCore, what: string) => {
      const p = core.mediaPlaylist('demo', 'main');
      if (!p) return;
      p.text
        .split('\n')
        .filter((l) => l.startsWith('https://'))
        .forEach((uri, i) => {
          const msn = p.mediaSequence! + i;
          const before = served.get(msn);
          assert.ok(before === undefined || before === uri, `${what}: MSN ${msn} was ${before}, now ${uri}`);
        });
    };
    let userDir = dir;
    let sequence = 0;
    let midSaveWithLines = 0;
    let crash: string | undefined;
    // A crash image: the files as the next process would find them after a SIGKILL now.
    let stepsLeft = -1;
    const takeImage = () => {
      crash = mkdtempSync(path.join(os.tmpdir(), 'relaycast-state-crash-'));
      if (existsSync(folder(userDir))) cpSync(folder(userDir), folder(crash), { recursive: true });
    };
    const unhook = await afterEveryFileStep(() => {
      if (stepsLeft < 0 || crash !== undefined) return;
      if (stepsLeft-- === 0) takeImage();
    });
    try {
      for (let run = 0; run < 16; run++) {
        const { core, store, lost } = restoredCore(userDir);
        assert.equal(lost, undefined, `restore ${run}`);
        check(core, `restore ${run}`);
        const steps = 20 + Math.floor(random() * 100);
        const wantLines = random() < 0.5;
        let armed = false;
        crash = undefined;
        for (let i = 0; ; i++) {
          core.apply(segmentMsg({ sequence: sequence++, session: `s${run}` }));
          t += 2000;
          const lines = store.history.lineCount();
          const saving = store.saveDurably(core);
          const addsLines = store.history.lineCount() > lines;
          // The chosen save (past `steps`; in half the runs one that adds history lines) is
          // crashed after 0–11 of its file steps, or just after it when it has fewer.
          if (!armed && i >= steps && (addsLines || !wantLines)) {
            armed = true;
            stepsLeft = Math.floor(random() * 12);
          }
          await saving;
          if (crash !== undefined) {
            if (addsLines) midSaveWithLines += 1;
            break;
          }
          // Served only now, as DurableView does.
          const p = core.mediaPlaylist('demo', 'main')!;
          p.text
            .split('\n')
            .filter((l) => l.startsWith('https://'))
            .forEach((uri, k) => served.set(p.mediaSequence! + k, uri));
          if (armed) {
            takeImage();
            break;
          }
        }
        stepsLeft = -1;
        await store.flush();
        if (userDir !== dir) rmSync(userDir, { recursive: true, force: true });
        userDir = crash!;
      }
    } finally {
      unhook();
    }
    const { core, lost } = restoredCore(userDir);
    assert.equal(lost, undefined);
    check(core, 'last restore');
    assert.ok(served.size > 300, `${served.size} MSNs served`);
    assert.ok(midSaveWithLines >= 3, `only ${midSaveWithLines} crashes fell inside a save that adds history lines`);
    if (userDir !== dir) rmSync(userDir, { recursive: true, force: true });
  });
});

/**
 * Calls `after` each time a file write, truncate, fsync, rename or removal made through
 * node:fs/promises has completed: the moments a SIGKILL can fall between, whatever order the code
 * under test takes them in. Returns the undo.
 */
async function afterEveryFileStep(after: () => void): Promise<() => void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsp = require('node:fs/promises') as Record<string, unknown>;
  const probe = await (fsp.open as typeof import('node:fs/promises').open)(__filename, 'r');
  const handleProto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  const undo: Array<() => void> = [];
  const wrap = (target: Record<string, unknown>, name: string) => {
    const original = target[name] as (...args: unknown[]) => Promise<unknown>;
    target[name] = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      after();
      return result;
    };
    undo.push(() => {
      target[name] = original;
    });
  };
  for (const name of ['write', 'writeFile', 'truncate', 'sync', 'datasync']) wrap(handleProto, name);
  for (const name of ['rename', 'rm', 'unlink', 'writeFile', 'appendFile', 'truncate']) wrap(fsp, name);
  return () => {
    for (const u of undo.reverse()) u();
  };
}
