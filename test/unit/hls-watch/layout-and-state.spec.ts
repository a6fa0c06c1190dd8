import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { discoverLayout, renditionIdFor } from '../../../lib/hls-watch/layout';
import { isWatchState, type StateStore, type WatchState } from '../../../lib/hls-watch/state-store';
import { HlsWatcher } from '../../../lib/hls-watch/watcher';
import { StateFile } from '../../../lib/fs/json-state-file';
import { mediaPlaylist, tempDir } from './helpers';

const MEDIA = mediaPlaylist({ sequence: 0, entries: [{ uri: 'a.ts', duration: 2 }] });
const master = (uris: string[]): string =>
  ['#EXTM3U', ...uris.flatMap((u, i) => [`#EXT-X-STREAM-INF:BANDWIDTH=${(i + 1) * 100000},RESOLUTION=640x360,CODECS="avc1.42c01e"`, u])].join('\n') + '\n';

describe('hls-watch layout discovery', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };

  it('names renditions after their folder or playlist file', () => {
    assert.deepEqual(['0/stream.m3u8', 'hls/720p/index.m3u8', '720p.m3u8', 'out_1.m3u8?x=1'].map(renditionIdFor), ['0', '720p', '720p', 'out_1']);
  });

  it("turns folder and file names into ids that follow the contract's id rule (what manifest and r2-upload accept)", () => {
    assert.deepEqual(['720p high/index.m3u8', `${'v'.repeat(80)}.m3u8`, '../index.m3u8'].map(renditionIdFor), ['720p_high', 'v'.repeat(64), '_']);
  });

  it('single variant folder → one rendition "main"', async () => {
    write('index.m3u8', MEDIA);
    const layout = await discoverLayout(dir, dir, 1 << 20);
    assert.deepEqual(layout, { masterPath: null, renditions: [{ id: 'main', playlistPath: path.join(dir, 'index.m3u8') }] });
  });

  it('master playlist (ffmpeg var_stream_map) → one rendition per variant with its attributes', async () => {
    write('master.m3u8', master(['0/index.m3u8', '1/index.m3u8']));
    const layout = await discoverLayout(dir, dir, 1 << 20);
    assert.equal(layout.masterPath, path.join(dir, 'master.m3u8'));
    assert.deepEqual(
      layout.renditions.map((r) => [r.id, r.playlistPath, r.variant?.bandwidth]),
      [
        ['0', path.join(dir, '0/index.m3u8'), 100000],
        ['1', path.join(dir, '1/index.m3u8'), 200000],
      ],
    );
  });

  it('Owncast tree pointed at its parent folder → the master one level down', async () => {
    write('hls/stream.m3u8', master(['0/stream.m3u8', '1/stream.m3u8']));
    const layout = await discoverLayout(dir, dir, 1 << 20);
    assert.deepEqual(
      layout.renditions.map((r) => [r.id, r.playlistPath]),
      [
        ['0', path.join(dir, 'hls/0/stream.m3u8')],
        ['1', path.join(dir, 'hls/1/stream.m3u8')],
      ],
    );
  });

  it('per-rendition folders without a master → folder names', async () => {
    write('0/index.m3u8', MEDIA);
    write('1/index.m3u8', MEDIA);
    const layout = await discoverLayout(dir, dir, 1 << 20);
    assert.deepEqual(
      layout.renditions.map((r) => r.id),
      ['0', '1'],
    );
  });

  it('a master playlist given as the path; a variant outside the folder is E_PATH_OUTSIDE', async () => {
    write('master.m3u8', master(['0/index.m3u8']));
    assert.deepEqual(
      (await discoverLayout(dir, path.join(dir, 'master.m3u8'), 1 << 20)).renditions.map((r) => r.id),
      ['0'],
    );
    write('evil.m3u8', master(['../../etc/index.m3u8']));
    await assert.rejects(discoverLayout(dir, path.join(dir, 'evil.m3u8'), 1 << 20), { code: 'E_PATH_OUTSIDE' });
  });

  it('nothing there yet → no renditions (waiting), temp playlists ignored', async () => {
    write('index.m3u8.tmp', MEDIA);
    assert.deepEqual(await discoverLayout(dir, dir, 1 << 20), { masterPath: null, renditions: [] });
    assert.deepEqual(await discoverLayout(dir, path.join(dir, 'master.m3u8'), 1 << 20), { masterPath: null, renditions: [] });
  });
});

describe('hls-watch state store (StateFile, the one JSON state writer)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const state = (n: number): WatchState => ({
    version: 1,
    source: '/x|cam',
    session: 's1',
    renditions: {
      main: {
        session: 's1',
        nextSequence: n,
        lastEncoderSequence: n - 1,
        lastUri: `s${n - 1}.ts`,
        lastFile: null,
        pendingDiscontinuity: false,
        started: true,
        ended: false,
      },
    },
  });
  const fileStore = (): StateStore => StateFile.forNode(dir, 'hls-watch', 'node 1', { code: 'E_WATCH_STATE', what: 'hls-watch progress' });

  it('round-trips through <userDir>/relaycast/hls-watch/<id>.json and leaves no temp file behind', async () => {
    const store = fileStore();
    assert.equal(store.load(), undefined);
    await store.saveDurably(state(3));
    assert.ok(isWatchState(store.load()));
    assert.deepEqual(store.load(), state(3));
    const folder = path.join(dir, 'relaycast', 'hls-watch');
    assert.deepEqual(readdirSync(folder), ['node_1.json']);
    await store.remove();
    assert.deepEqual(readdirSync(folder), []);
    assert.equal(store.load(), undefined);
  });

  it('saveDurably resolves only once that state is in the file (what hls-watch sends waits for it)', async () => {
    const store = fileStore();
    for (let n = 1; n <= 4; n++) store.save(state(n));
    await store.saveDurably(state(5));
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'relaycast', 'hls-watch', 'node_1.json'), 'utf8')), state(5));
  });

  it('a corrupt state file is refused with E_WATCH_STATE and moved aside: the watcher reports it and starts afresh', async () => {
    mkdirSync(path.join(dir, 'relaycast', 'hls-watch'), { recursive: true });
    writeFileSync(path.join(dir, 'relaycast', 'hls-watch', 'node_1.json'), '{"version":1,"sour');
    const store = fileStore();
    const media = path.join(dir, 'media');
    mkdirSync(media);
    const errors: string[] = [];
    const watcher = new HlsWatcher({ path: media, stream: 'cam', stateStore: store }, { onMessage: () => undefined, onError: (err) => errors.push(err.code) });
    await watcher.start();
    await watcher.close();
    assert.deepEqual(errors, ['E_WATCH_STATE']);
    assert.ok(
      readdirSync(path.join(dir, 'relaycast', 'hls-watch')).some((f) => f.startsWith('node_1.json.bad-')),
      'the bad file is kept aside',
    );
    assert.ok(isWatchState(store.load()), 'a fresh state was saved in its place');
  });
});
