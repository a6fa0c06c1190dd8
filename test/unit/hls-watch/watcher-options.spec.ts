// HlsWatcher's options, checked and completed once: the folder it watches and the defaults.
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEFAULT_MAX_PLAYLIST_BYTES } from '../../../lib/hls-watch/playlist';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../../../lib/hls-watch/segment-file';
import { MemoryStateStore } from '../../../lib/hls-watch/state-store';
import { watcherSettings } from '../../../lib/hls-watch/watcher-options';

describe('hls-watch watcher options', () => {
  it('a folder is watched itself; a playlist (any case of .m3u8) by its folder', () => {
    const folder = path.resolve('/srv/hls/cam');
    const watched = watcherSettings({ path: folder, stream: 'cam' });
    assert.deepEqual([watched.target, watched.root], [folder, folder]);
    for (const name of ['master.m3u8', 'STREAM.M3U8']) {
      const s = watcherSettings({ path: path.join(folder, name), stream: 'cam' });
      assert.deepEqual([s.target, s.root], [path.join(folder, name), folder], name);
    }
    assert.equal(watcherSettings({ path: 'relative/out', stream: 'cam' }).root, path.resolve('relative/out'));
  });

  it('fills in the defaults, and trims the rendition filter (blank entries dropped: empty = all)', () => {
    const s = watcherSettings({ path: '/srv/hls', stream: 'cam', renditions: [' 720p ', '', '  '] });
    assert.deepEqual(
      { ...s, store: undefined, receiptsExpected: undefined },
      {
        target: path.resolve('/srv/hls'),
        root: path.resolve('/srv/hls'),
        stream: 'cam',
        renditions: ['720p'],
        usePolling: false,
        pollInterval: 250,
        maxSegmentBytes: DEFAULT_MAX_SEGMENT_BYTES,
        maxPlaylistBytes: DEFAULT_MAX_PLAYLIST_BYTES,
        segmentWaitMs: 3000,
        checkIntervalMs: 1000,
        store: undefined,
        receiptsExpected: undefined,
      },
    );
    assert.ok(s.store instanceof MemoryStateStore);
    assert.equal(s.receiptsExpected(), false);
  });

  it('keeps what is given', () => {
    const store = new MemoryStateStore();
    const s = watcherSettings({
      path: '/srv/hls',
      stream: 'cam',
      usePolling: true,
      pollInterval: 100,
      segmentWaitMs: 50,
      checkIntervalMs: 20,
      stateStore: store,
      receiptsExpected: () => true,
    });
    assert.deepEqual(
      [s.usePolling, s.pollInterval, s.segmentWaitMs, s.checkIntervalMs, s.store === store, s.receiptsExpected()],
      [true, 100, 50, 20, true, true],
    );
  });

  it("refuses a missing path or stream, and a stream id outside the contract's id rule (E_CONFIG)", () => {
    for (const options of [
      { path: '', stream: 'cam' },
      { path: '/srv/hls', stream: '' },
      { path: '/srv/hls', stream: 'has space' },
    ]) {
      assert.throws(
        () => watcherSettings(options),
        (err: { code?: string }) => err.code === 'E_CONFIG',
        JSON.stringify(options),
      );
    }
  });
});
