// relaycast-signaling serves the bundled viewer page and its scripts on Node-RED's httpNode.
import assert from 'node:assert/strict';
import http from 'node:http';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';

function get(base: string, path: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('relaycast-signaling: the viewer page', function () {
  this.timeout(20_000);
  let web: HttpNodeServer;
  let base: string;
  let signalingWithRed: unknown;

  before(async () => {
    await helper.startServer();
    web = await startHttpNodeServer();
    base = web.base;
    signalingWithRed = web.capture(distNode('signaling'));
  });
  after(async () => {
    await web.stop();
    await helper.stopServer();
  });
  afterEach(() => helper.unload());

  const load = (config: Record<string, unknown> = {}) =>
    helper.load(
      signalingWithRed as never,
      [
        { id: 'f1', type: 'tab' },
        { id: 'sig', z: 'f1', type: 'relaycast-signaling', path: '/signal', statsInterval: 0, ...config, wires: [[], [], []] },
      ] as never,
    );

  it('serves /live/<stream>/ with its config inline: stream, signaling path, master, first announced rendition', async () => {
    await load();
    helper.getNode('sig').receive({
      topic: 'segment',
      payload: Buffer.from('x'),
      segment: { stream: 'show', rendition: '720p', sequence: 1, byteLength: 10, sha256: 'a'.repeat(64), duration: 2, url: 'https://r2.example/1.ts' },
    });
    helper.getNode('sig').receive({
      topic: 'playlist',
      payload: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p.m3u8\n',
      playlist: { stream: 'show', rendition: null, ended: false },
    });
    const page = await get(base, '/live/show/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    const json = /<script id="relaycast-config" type="application\/json">([^<]*)<\/script>/.exec(page.body)?.[1];
    const config = JSON.parse(json!);
    // Each copy says how long the server has held it (the player dates it by that).
    const ages = config.playlists.map((p: { ageMs?: unknown }) => p.ageMs);
    assert.ok(
      ages.every((age: unknown) => Number.isSafeInteger(age) && (age as number) >= 0),
      `ages ${ages}`,
    );
    for (const p of config.playlists) delete p.ageMs;
    assert.deepEqual(
      config,
      {
        stream: 'show',
        signalingPath: '/signal',
        master: 'master.m3u8',
        startRendition: '720p',
        latency: 'standard',
        playlists: [{ rendition: null, text: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p.m3u8\n', ended: false, version: 1 }],
      },
      'the latest playlists ride along, so the player starts without a playlist request',
    );
    assert.match(page.body, /<script src="\/relaycast\/viewer\/viewer\.js" defer>/);
    const script = await get(base, '/relaycast/viewer/viewer.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.ok(script.body.length > 100_000, 'the bundle with hls.js and the loader');
    for (const file of ['relaycast-hls.js', 'relaycast-hls.mjs', 'viewer.css', 'page.css']) {
      assert.equal((await get(base, `/relaycast/viewer/${file}`)).status, 200, file);
    }
    assert.equal((await get(base, '/relaycast/viewer/viewer.js', 'HEAD')).status, 200);
  });

  it('serves nothing it was not built with, and refuses odd stream ids', async () => {
    await load();
    for (const path of [
      '/relaycast/viewer/../../package.json',
      '/relaycast/viewer/index.html',
      '/relaycast/viewer/nope.js',
      '/live/bad%20id/',
      '/live/a/b/',
      '/live/' + 'x'.repeat(65) + '/',
    ]) {
      assert.equal((await get(base, path)).status, 404, path);
    }
  });

  it('takes its master playlist and path from the config; an empty Viewer serves no page', async () => {
    await load({ viewerPath: '/watch', viewerMaster: '/hls/{stream}.m3u8' });
    const page = await get(base, '/watch/show/');
    assert.equal(page.status, 200);
    assert.match(page.body, /"master":"\/hls\/show\.m3u8"/, '{stream} filled in');
    assert.equal((await get(base, '/live/show/')).status, 404);
    await helper.unload();
    await load({ viewerPath: '' });
    assert.equal((await get(base, '/live/show/')).status, 404);
  });

  it("starts the page in the master's first variant (where hls.js starts), whichever rendition was announced first", async () => {
    await load();
    const sig = helper.getNode('sig');
    for (const rendition of ['360p', '720p'])
      sig.receive({
        topic: 'segment',
        payload: Buffer.from('x'),
        segment: { stream: 'show', rendition, sequence: 1, byteLength: 10, sha256: 'a'.repeat(64), duration: 2, url: `https://r2.example/${rendition}/1.ts` },
      });
    const start = async () => /"startRendition":"([^"]+)"/.exec((await get(base, '/live/show/')).body)?.[1];
    assert.equal(await start(), '360p', 'no master yet: the first announced');
    const master = (first: string, second: string) => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2\n${first}.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1\n${second}.m3u8\n`;
    sig.receive({ topic: 'playlist', payload: master('720p', '360p'), playlist: { stream: 'show', rendition: null, ended: false } });
    assert.equal(await start(), '720p');
    sig.receive({ topic: 'playlist', payload: master('1080p', '720p'), playlist: { stream: 'show', rendition: null, ended: false } });
    assert.equal(await start(), '360p', 'a first variant with nothing announced yet is not joined');
  });

  it('tells the page its latency mode: standard by default and for flows from before the setting, low when set', async () => {
    const latencyOf = async () => /"latency":"([a-z]+)"/.exec((await get(base, '/live/show/')).body)?.[1];
    await load({ latency: 'low' });
    assert.equal(await latencyOf(), 'low');
    await helper.unload();
    await load({ latency: '' });
    assert.equal(await latencyOf(), 'standard');
  });

  it('escapes the inline config so no value can end its script element', async () => {
    await load({ viewerMaster: '</script><script>alert(1)</script>' });
    const page = await get(base, '/live/show/');
    assert.ok(!page.body.includes('</script><script>alert(1)'), 'the master value cannot break out');
    assert.match(page.body, /\\u003c\/script>/);
  });
});
