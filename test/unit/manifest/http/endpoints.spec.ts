// One manifest node's playlist endpoints (lib/manifest/http/endpoints.ts) over a real HTTP server
// and a real ManifestCore: only versions on disk are served, 404 before any, health JSON,
// presentations, blocking reload, and the paths' rules for a node fixed to one stream.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { DurableView, ManifestCore } from '../../../../lib/manifest';
import { registerRoutes } from '../../../../lib/http';
import { ManifestPaths, PlaylistEndpoints } from '../../../../lib/manifest/http';
import { blockingReloadDirective, presentationOf } from '../../../../lib/hls/playlist-query';
import { RelaycastError } from '../../../../lib/errors';
import { request } from '../../../support/http-request';
import { segmentMsg } from '../../../support/manifest-msgs';
import { appServer, type AppServer } from '../../../support/app-server';

describe('manifest playlist endpoints', () => {
  let s: AppServer;
  let core: ManifestCore;
  let durable: DurableView;
  let endpoints: PlaylistEndpoints;

  function start(blockingReload: boolean): void {
    const paths = new ManifestPaths({});
    core = new ManifestCore({ blockingReload, variantUri: (stream, rendition) => paths.variantUri(stream, rendition) });
    durable = new DurableView(core);
    endpoints = new PlaylistEndpoints({ paths, playlists: durable, health: () => core.health() as Record<string, unknown>, blockingReload });
    registerRoutes(
      s.app,
      {},
      {
        id: 'm',
        templates: paths.templates,
        streams: [],
        matches: (p) => endpoints.matches(p),
        handle: (p, req, res) => endpoints.handle(p, req, res),
        failed: () => undefined,
      },
    );
  }

  /** Applies a segment and, as the node does once its state is on disk, serves the new versions. */
  function list(sequence: number): void {
    const update = core.apply(segmentMsg({ sequence }));
    durable.take(update);
    for (const p of update.media) endpoints.published(p);
  }

  beforeEach(async () => {
    s = await appServer();
  });
  afterEach(async () => {
    endpoints.close();
    await s.close();
  });

  it('answers 404 until a version is on disk, then serves master and media with ETag, 304 and gzip', async () => {
    start(false);
    assert.equal((await request(s.base, '/live/demo/main.m3u8')).status, 404);
    core.apply(segmentMsg({ sequence: 0 }));
    assert.equal((await request(s.base, '/live/demo/main.m3u8')).status, 404, 'not served before its state is saved');
    durable.takeAll();
    const media = await request(s.base, '/live/demo/main.m3u8');
    assert.equal(media.status, 200);
    assert.equal(media.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.match(media.body.toString(), /#EXT-X-MEDIA-SEQUENCE:0/);
    assert.equal((await request(s.base, '/live/demo/main.m3u8', { headers: { 'If-None-Match': `W/${media.headers.etag}` } })).status, 304);
    const gzip = await request(s.base, '/live/demo/main.m3u8', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzip.body).toString(), media.body.toString());
    const master = await request(s.base, '/live/demo/master.m3u8');
    assert.equal(master.status, 200);
    assert.match(master.body.toString(), /^main\.m3u8$/m);
    assert.equal(endpoints.counters.notModified, 1);
    assert.equal(endpoints.counters.notFound, 2);
  });

  it('reports health per stream with the request counts; 404 for a stream it does not have', async () => {
    start(false);
    list(0);
    await request(s.base, '/live/demo/main.m3u8');
    const health = JSON.parse((await request(s.base, '/live/demo/health.json')).body.toString());
    assert.equal(health.streams.demo.renditions.main.segments, 1);
    assert.equal(health.requests.media, 1);
    assert.equal(health.requests.health, 1);
    assert.equal((await request(s.base, '/live/nope/health.json')).status, 404);
  });

  it('serves ?presentation=0 as the current playlist and 404s one that is not a number', async () => {
    start(false);
    list(0);
    assert.equal((await request(s.base, '/live/demo/main.m3u8?presentation=0')).status, 200);
    assert.equal((await request(s.base, '/live/demo/main.m3u8?presentation=x')).status, 404);
    assert.equal((await request(s.base, '/live/demo/main.m3u8?presentation=1')).status, 404);
  });

  it('holds a blocking reload until the segment is published, and ignores _HLS_msn when it is off', async () => {
    start(true);
    list(0);
    const held = request(s.base, '/live/demo/main.m3u8?_HLS_msn=1');
    const start0 = Date.now();
    while (endpoints.counters.blocked < 1) {
      if (Date.now() - start0 > 5000) throw new Error('the request was not held');
      await new Promise((r) => setTimeout(r, 5));
    }
    list(1);
    const answered = await held;
    assert.equal(answered.status, 200);
    assert.match(answered.body.toString(), /seg_00001\.ts/);
    endpoints.close();
    await s.close();
    s = await appServer();
    start(false);
    list(0);
    const immediate = await request(s.base, '/live/demo/main.m3u8?_HLS_msn=1');
    assert.equal(immediate.status, 200);
    assert.doesNotMatch(immediate.body.toString(), /seg_00001/);
  });
});

describe('manifest paths and query', () => {
  it('a node fixed to one stream: paths without {stream}, keys, variant links, and the shadowed-rendition refusal', () => {
    const paths = new ManifestPaths({ stream: ' demo ', master: '/tv/master.m3u8', media: '/tv/{rendition}.m3u8', health: '/tv/health.json' });
    assert.deepEqual(paths.streams, ['demo']);
    assert.equal(paths.matches('/tv/720p.m3u8'), true);
    assert.equal(paths.matches('/live/demo/720p.m3u8'), false);
    assert.equal(paths.keyOf({ stream: 'demo', rendition: '720p' } as never), 'tv/720p.m3u8');
    assert.equal(paths.keyOf({ stream: 'demo', rendition: null } as never), 'tv/master.m3u8');
    assert.equal(paths.variantUri('demo', '720p'), '720p.m3u8');
    assert.throws(
      () => paths.refuseShadowedRendition('demo', 'master'),
      (e: unknown) => e instanceof RelaycastError && e.code === 'E_MANIFEST_BAD_ID',
    );
    paths.refuseShadowedRendition('demo', '720p');
    assert.throws(
      () => new ManifestPaths({ master: '/x.m3u8' }),
      (e: unknown) => e instanceof RelaycastError && e.code === 'E_MANIFEST_CONFIG',
    );
  });

  it('reads presentation and blocking-reload directives from the query', () => {
    assert.equal(presentationOf('/a.m3u8'), 0);
    assert.equal(presentationOf('/a.m3u8?presentation=3'), 3);
    assert.equal(presentationOf('/a.m3u8?presentation=-1'), undefined);
    assert.equal(blockingReloadDirective('/a.m3u8'), undefined);
    assert.equal(blockingReloadDirective('/a.m3u8?presentation=1'), undefined);
    assert.deepEqual(blockingReloadDirective('/a.m3u8?_HLS_msn=4&_HLS_part=1'), { msn: '4', part: '1' });
    assert.deepEqual(blockingReloadDirective('/a.m3u8?_HLS_part=1'), { msn: undefined, part: '1' });
  });
});
