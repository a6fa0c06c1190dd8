// What each file event means for the watcher, case by case, without a folder or a timer: the
// wiring of these actions to real chokidar events is covered by watcher.spec.ts and test/nodes/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { NEW_FOLDER_RECHECKS_MS, routeEvent, type EventAction, type FileEvent, type RouteContext } from '../../../lib/hls-watch/route-event';

const root = path.resolve('/srv/hls/cam');
const at = (...parts: string[]): string => path.join(root, ...parts);

/** A master with two renditions in folders 0/ and 1/, both followed. */
function context(extra: Partial<RouteContext> = {}): RouteContext {
  return {
    root,
    masterPath: at('master.m3u8'),
    playlists: new Map([
      [at('0', 'index.m3u8'), '0'],
      [at('1', 'index.m3u8'), '1'],
    ]),
    filtered: false,
    ...extra,
  };
}

const route = (event: FileEvent, ctx = context()): EventAction[] => routeEvent(event, ctx);

describe('hls-watch event routing', () => {
  describe('raw events (unthrottled, for playlist rewrites)', () => {
    it('a followed playlist rewritten: read it again, nothing else', () => {
      assert.deepEqual(route({ kind: 'raw', path: 'index.m3u8', watchedPath: at('0') }), [{ do: 'sync', playlist: at('0', 'index.m3u8') }]);
    });

    it('a watch on the playlist file itself (the OS names the file, or nothing): read that playlist again', () => {
      assert.deepEqual(route({ kind: 'raw', path: 'index.m3u8', watchedPath: at('1', 'index.m3u8') }), [{ do: 'sync', playlist: at('1', 'index.m3u8') }]);
      assert.deepEqual(route({ kind: 'raw', path: '', watchedPath: at('1', 'index.m3u8') }), [{ do: 'sync', playlist: at('1', 'index.m3u8') }]);
    });

    it('an absolute path without a watched path is taken as it is', () => {
      assert.deepEqual(route({ kind: 'raw', path: at('0', 'index.m3u8') }), [{ do: 'sync', playlist: at('0', 'index.m3u8') }]);
    });

    it('the master playlist: discover the layout again', () => {
      assert.deepEqual(route({ kind: 'raw', path: 'master.m3u8', watchedPath: root }), [{ do: 'discover' }]);
    });

    it('a media file: wake whoever waits for it', () => {
      assert.deepEqual(route({ kind: 'raw', path: 'seg_00003.ts', watchedPath: at('0') }), [{ do: 'notify', file: at('0', 'seg_00003.ts') }]);
    });

    it('a temporary name (written before the rename): ignored', () => {
      for (const name of ['index.m3u8.tmp', 'seg_00003.ts.temp', 'SEG.TMP']) {
        assert.deepEqual(route({ kind: 'raw', path: name, watchedPath: at('0') }), [{ do: 'ignore', why: 'temporary' }], name);
      }
    });

    it('a path outside the watched folder: ignored, even one named like a followed playlist', () => {
      assert.deepEqual(route({ kind: 'raw', path: 'index.m3u8', watchedPath: path.resolve('/srv/hls/other') }), [{ do: 'ignore', why: 'outside' }]);
      assert.deepEqual(route({ kind: 'raw', path: '../../etc/passwd', watchedPath: at('0') }), [{ do: 'ignore', why: 'outside' }]);
    });
  });

  describe('folders', () => {
    it("the watched folder itself: ignored (its appearing and going are the folder watch's business)", () => {
      assert.deepEqual(route({ kind: 'addDir', path: root }), [{ do: 'ignore', why: 'root' }]);
      assert.deepEqual(route({ kind: 'unlinkDir', path: root }), [{ do: 'ignore', why: 'root' }]);
    });

    it('a new folder: discover again, and look at once and a few times more at each followed playlist in it', () => {
      assert.deepEqual(route({ kind: 'addDir', path: at('1') }), [
        { do: 'discover' },
        { do: 'sync', playlist: at('1', 'index.m3u8'), againAfterMs: NEW_FOLDER_RECHECKS_MS },
      ]);
      assert.ok(NEW_FOLDER_RECHECKS_MS.length > 0);
    });

    it('a new folder above followed playlists: each of them is looked at', () => {
      const ctx = context({
        playlists: new Map([
          [at('hls', '0', 'index.m3u8'), '0'],
          [at('hls', '1', 'index.m3u8'), '1'],
          [at('other', 'index.m3u8'), 'x'],
        ]),
      });
      assert.deepEqual(route({ kind: 'addDir', path: at('hls') }, ctx), [
        { do: 'discover' },
        { do: 'sync', playlist: at('hls', '0', 'index.m3u8'), againAfterMs: NEW_FOLDER_RECHECKS_MS },
        { do: 'sync', playlist: at('hls', '1', 'index.m3u8'), againAfterMs: NEW_FOLDER_RECHECKS_MS },
      ]);
    });

    it('a new folder with no followed playlist in it: discover only', () => {
      assert.deepEqual(route({ kind: 'addDir', path: at('2') }), [{ do: 'discover' }]);
    });

    it('a folder removed: discover only, even when followed playlists were in it', () => {
      assert.deepEqual(route({ kind: 'unlinkDir', path: at('1') }), [{ do: 'discover' }]);
    });
  });

  describe('playlists', () => {
    it('a followed playlist changed: read it again; the layout is the same', () => {
      assert.deepEqual(route({ kind: 'change', path: at('0', 'index.m3u8') }), [{ do: 'sync', playlist: at('0', 'index.m3u8') }]);
    });

    it('a followed playlist added (replaced by a rename): read it, and discover again', () => {
      assert.deepEqual(route({ kind: 'add', path: at('0', 'index.m3u8') }), [{ do: 'sync', playlist: at('0', 'index.m3u8') }, { do: 'discover' }]);
    });

    it('a followed playlist removed: nothing to read; discover again', () => {
      assert.deepEqual(route({ kind: 'unlink', path: at('0', 'index.m3u8') }), [{ do: 'discover' }]);
    });

    it('the master playlist, whatever happened to it: discover again', () => {
      for (const kind of ['add', 'change', 'unlink'] as const) {
        assert.deepEqual(route({ kind, path: at('master.m3u8') }), [{ do: 'discover' }], kind);
      }
    });

    it('the master playlist when it is also followed (the target playlist turned out to be media): read it and discover', () => {
      const ctx = context({ playlists: new Map([[at('master.m3u8'), 'main']]) });
      assert.deepEqual(route({ kind: 'change', path: at('master.m3u8') }, ctx), [{ do: 'sync', playlist: at('master.m3u8') }, { do: 'discover' }]);
    });

    it('a playlist not followed (yet): discover again', () => {
      for (const kind of ['add', 'change', 'unlink'] as const) {
        assert.deepEqual(route({ kind, path: at('2', 'index.m3u8') }), [{ do: 'discover' }], kind);
      }
      assert.deepEqual(route({ kind: 'add', path: at('2', 'INDEX.M3U8') }), [{ do: 'discover' }], 'the extension in any case');
    });
  });

  describe('media files', () => {
    it('a media file written: read it ahead of its listing, whatever the media extension or its case', () => {
      for (const name of ['seg_00003.ts', 'seg_3.m4s', 'init.mp4', 'a.m4a', 'v.m4v', 'a.aac', 'a.mp3', 'subs.vtt', 'SEG.TS']) {
        for (const kind of ['add', 'change'] as const) {
          assert.deepEqual(route({ kind, path: at('0', name) }), [{ do: 'prefetch', file: at('0', name) }], `${kind} ${name}`);
        }
      }
    });

    it('a media file removed: nothing to do (the encoder cleans up after the playlist moved on)', () => {
      assert.deepEqual(route({ kind: 'unlink', path: at('0', 'seg_00000.ts') }), [{ do: 'ignore', why: 'nothing-to-do' }]);
    });

    it("with a rendition filter: only files in (or below) a followed rendition's folder are read ahead", () => {
      const ctx = context({ filtered: true, playlists: new Map([[at('0', 'index.m3u8'), '0']]) });
      assert.deepEqual(route({ kind: 'add', path: at('0', 'seg_1.ts') }, ctx), [{ do: 'prefetch', file: at('0', 'seg_1.ts') }]);
      assert.deepEqual(route({ kind: 'add', path: at('0', 'parts', 'seg_1.ts') }, ctx), [{ do: 'prefetch', file: at('0', 'parts', 'seg_1.ts') }]);
      assert.deepEqual(route({ kind: 'add', path: at('1', 'seg_1.ts') }, ctx), [{ do: 'ignore', why: 'not-followed' }]);
    });

    it('with a rendition filter but no rendition known yet: read, since it cannot be told', () => {
      const ctx = context({ filtered: true, playlists: new Map() });
      assert.deepEqual(route({ kind: 'add', path: at('1', 'seg_1.ts') }, ctx), [{ do: 'prefetch', file: at('1', 'seg_1.ts') }]);
    });

    it('renditions sharing the folder (playlists side by side): every file there is read', () => {
      const ctx = context({ filtered: true, masterPath: null, playlists: new Map([[at('720p.m3u8'), '720p']]) });
      assert.deepEqual(route({ kind: 'add', path: at('360p_00001.ts') }, ctx), [{ do: 'prefetch', file: at('360p_00001.ts') }]);
    });
  });

  describe('everything else', () => {
    it('a file outside the watched folder: ignored', () => {
      assert.deepEqual(route({ kind: 'add', path: path.resolve('/srv/hls/other/seg_1.ts') }), [{ do: 'ignore', why: 'outside' }]);
      assert.deepEqual(
        route({ kind: 'add', path: path.resolve('/srv/hls/cam-2/index.m3u8') }),
        [{ do: 'ignore', why: 'outside' }],
        'a sibling whose name starts like the folder',
      );
    });

    it('a file that is neither playlist nor media (unknown extension, no extension, a temp name): nothing to do', () => {
      for (const name of ['notes.txt', 'README', 'seg_00003.ts.tmp', 'index.m3u8.temp']) {
        assert.deepEqual(route({ kind: 'add', path: at('0', name) }), [{ do: 'ignore', why: 'nothing-to-do' }], name);
      }
    });

    it('an event kind it does not know: nothing for a media file; a followed playlist is read and the layout looked at, as for an add', () => {
      const unknown = { kind: 'rename', path: at('0', 'seg_1.ts') } as unknown as FileEvent;
      assert.deepEqual(route(unknown), [{ do: 'ignore', why: 'nothing-to-do' }]);
      const unknownPlaylist = { kind: 'rename', path: at('0', 'index.m3u8') } as unknown as FileEvent;
      assert.deepEqual(route(unknownPlaylist), [{ do: 'sync', playlist: at('0', 'index.m3u8') }, { do: 'discover' }]);
    });

    it('relative paths are resolved (chokidar may name them so)', () => {
      const rel = path.relative(process.cwd(), at('0', 'index.m3u8'));
      assert.deepEqual(route({ kind: 'change', path: rel }), [{ do: 'sync', playlist: at('0', 'index.m3u8') }]);
    });
  });
});
