// Waiting for the encoder's folder, watching it, letting go of it: FolderPresence on a real temp
// folder, without the watcher around it (that wiring is in watcher.spec.ts and test/nodes/).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RelaycastError } from '../../../lib/errors';
import { FolderPresence } from '../../../lib/hls-watch/folder-presence';
import type { FileEvent } from '../../../lib/hls-watch/route-event';
import { until } from '../../support/until';
import { tempDirPerTest } from './helpers';

/** A FolderPresence whose handlers write down what they were told. */
function presence(root: string, usePolling = false) {
  const seen = { missing: 0, unusable: [] as string[], found: [] as string[], ready: 0, events: [] as FileEvent[], failures: [] as unknown[] };
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const folder = new FolderPresence(
    { root, usePolling, pollInterval: 20 },
    {
      missing: () => {
        seen.missing += 1;
      },
      unusable: (err: RelaycastError) => {
        seen.unusable.push(err.code);
      },
      found: (realRoot) => {
        seen.found.push(realRoot);
      },
      ready: async () => {
        seen.ready += 1;
      },
      event: (event) => {
        seen.events.push(event);
      },
      watchFailed: (err) => {
        seen.failures.push(err);
      },
      background: (work) => {
        Promise.resolve()
          .then(work)
          .catch((err: unknown) => seen.failures.push(err));
      },
      later: (ms, fn) => {
        const t = setTimeout(() => {
          timers.delete(t);
          fn();
        }, ms);
        timers.add(t);
      },
      isClosed: () => closed,
    },
  );
  const close = async (): Promise<void> => {
    closed = true;
    for (const t of timers) clearTimeout(t);
    await folder.close();
    await folder.detach(async () => undefined);
  };
  return { folder, seen, close };
}

describe('hls-watch folder presence', () => {
  const open: Array<() => Promise<void>> = [];
  const tmp = tempDirPerTest({ beforeRemoval: () => Promise.all(open.splice(0).map((close) => close())) });

  it('a folder that is there: found (by its realpath), watched, ready; its file events come through', async () => {
    const p = presence(tmp.dir);
    open.push(p.close);
    await p.folder.attach();
    assert.deepEqual([p.seen.found, p.seen.ready, p.folder.attached], [[tmp.dir], 1, true]);
    writeFileSync(path.join(tmp.dir, 'index.m3u8'), '#EXTM3U\n');
    await until(() => p.seen.events.some((e) => e.kind === 'add' && e.path === path.join(tmp.dir, 'index.m3u8')), 'the add event');
    assert.ok(
      p.seen.events.some((e) => e.kind === 'raw'),
      'raw events too',
    );
    assert.equal(p.seen.missing, 0);
  });

  it('a missing folder (several levels): waiting, not an error; attached as soon as `mkdir -p` creates it', async () => {
    const root = path.join(tmp.dir, 'a', 'b', 'out');
    const p = presence(root);
    open.push(p.close);
    await p.folder.attach();
    assert.deepEqual([p.seen.missing, p.seen.unusable, p.folder.attached], [1, [], false]);
    mkdirSync(root, { recursive: true });
    // Only the ancestor watch can attach it here: nothing else calls attach() again.
    await until(() => p.folder.attached && p.seen.ready === 1, 'attached once the folder exists');
    assert.deepEqual(p.seen.found, [root]);
  });

  it('a path that is a file: unusable (E_FOLDER_UNREADABLE); attached once a folder replaces it', async () => {
    const root = path.join(tmp.dir, 'out');
    writeFileSync(root, 'not a folder');
    const p = presence(root);
    open.push(p.close);
    await p.folder.attach();
    assert.deepEqual([p.seen.unusable, p.folder.attached], [['E_FOLDER_UNREADABLE'], false]);
    rmSync(root);
    mkdirSync(root);
    await until(() => p.folder.attached, 'attached once the folder is fixed');
  });

  it("polling: no ancestor watch, a missing folder is found by the next attach() (the watcher's safety tick)", async () => {
    const root = path.join(tmp.dir, 'out');
    const p = presence(root, true);
    open.push(p.close);
    await p.folder.attach();
    mkdirSync(root);
    assert.equal(p.folder.attached, false);
    await p.folder.attach();
    assert.equal(p.folder.attached, true);
  });

  it('attach() while an attempt runs joins it: found once', async () => {
    const p = presence(tmp.dir);
    open.push(p.close);
    await Promise.all([p.folder.attach(), p.folder.attach()]);
    assert.equal(p.seen.found.length, 1);
  });

  it("the folder going away shows in isPresent(); detach lets go at once and runs the owner's release before closing the watch", async () => {
    const root = path.join(tmp.dir, 'out');
    mkdirSync(root);
    const p = presence(root);
    open.push(p.close);
    await p.folder.attach();
    assert.equal(await p.folder.isPresent(), true);
    rmSync(root, { recursive: true });
    assert.equal(await p.folder.isPresent(), false);
    let attachedDuringRelease: boolean | undefined;
    await p.folder.detach(async () => {
      attachedDuringRelease = p.folder.attached;
    });
    assert.deepEqual([attachedDuringRelease, p.folder.attached], [false, false]);
  });
});
