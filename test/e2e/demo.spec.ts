/**
 * What a new user sees after `npm install && npm start`: the demo launcher starts Node-RED with the
 * Relaycast palette, the demo encoder and a local S3 server; segments reach the debug sidebar,
 * the live playlist points at objects that hold exactly the encoder's bytes, and Ctrl-C stops it all.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { untilValue } from '../support/until';
import { freePort } from '../support/free-port';
import { spawnDemo, stopDemo } from '../support/demo-process';
import { ABR_LOG, abrWatch, LINKED_TO_HOLDERS, WARM_STATE, type AbrLog } from '../support/abr-watch';

const repoRoot = path.resolve(__dirname, '..', '..');
const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'hls', 'ts-multi');

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of every media segment of the fixture the demo replays. */
function fixtureSegmentHashes(): Set<string> {
  const hashes = new Set<string>();
  for (const rendition of readdirSync(fixtureDir, { withFileTypes: true })) {
    if (!rendition.isDirectory()) continue;
    for (const file of readdirSync(path.join(fixtureDir, rendition.name))) {
      if (file.endsWith('.ts')) hashes.add(sha256(readFileSync(path.join(fixtureDir, rendition.name, file))));
    }
  }
  return hashes;
}

describe('npm start (demo)', function () {
  this.timeout(120_000);
  let demo: ChildProcess;
  let output = '';
  let base: string;
  let runDir: string;
  let browser: Browser | undefined;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-demo-'));
    demo = spawnDemo([], { PORT: String(port), RELAYCAST_DEMO_RUN_DIR: runDir }, (text) => (output += text));
    await untilValue(async () => (output.includes('Node-RED editor') ? true : undefined), 'the editor URL to be printed', 30_000, 250);
  });

  after(async () => {
    await browser?.close();
    // Also when a run with --grep skipped the Ctrl-C spec.
    await stopDemo(demo);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('prints the editor and playlist URLs', () => {
    assert.match(output, new RegExp(`Node-RED editor : ${base}/`));
    assert.match(output, new RegExp(`Live playlist   : ${base}/live/demo/master.m3u8`));
    assert.match(output, new RegExp(`Viewer page     : ${base}/live/demo/ `));
  });

  it('loads the package as a Node-RED module with every node and its examples', async () => {
    const nodes = (await (await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).json()) as Array<{
      module: string;
      types: string[];
      enabled: boolean;
      err?: string;
    }>;
    const ours = nodes.filter((set) => set.module === '@relaycast/node-red-relaycast');
    // One node set per entry of package.json's node-red section, every one loaded without error.
    const declared = Object.keys(
      (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes,
    );
    assert.equal(ours.length, declared.length, `${declared.length} node sets`);
    assert.deepEqual(
      ours.filter((set) => !set.enabled || set.err).map((set) => set.err),
      [],
    );
    const types = ours.flatMap((set) => set.types).sort();
    for (const type of [
      'relaycast-hls-watch',
      'relaycast-manifest',
      'relaycast-r2-bucket',
      'relaycast-r2-upload',
      'relaycast-signaling',
      'relaycast-payout',
      'relaycast-supporter',
    ]) {
      assert.ok(types.includes(type), `${type} registered`);
    }
    const modules = (await (await fetch(`${base}/library/examples/flows/`)).json()) as string[];
    assert.ok(modules.includes('@relaycast/node-red-relaycast'), 'Import ▸ Examples lists the package');
    const example = (await (
      await fetch(`${base}/library/examples/flows/@relaycast/node-red-relaycast/${encodeURIComponent('01 - Watch an encoder folder')}`)
    ).json()) as Array<{ type: string }>;
    assert.ok(
      example.some((node) => node.type === 'relaycast-hls-watch'),
      'the example flow imports with its hls-watch node',
    );
  });

  it('serves a live playlist whose segment URLs return exactly the encoder bytes', async () => {
    const media = await untilValue(
      async () => {
        // Until Node-RED listens, fetch fails: keep waiting.
        const text = await fetch(`${base}/live/demo/0.m3u8`).then(
          (r) => r.text(),
          () => '',
        );
        return /^http.*\.ts$/m.test(text) ? text : undefined;
      },
      'a media playlist with segments',
      30_000,
      250,
    );
    const urls = media.split('\n').filter((line) => line.startsWith('http'));
    const known = fixtureSegmentHashes();
    for (const url of urls) {
      const response = await fetch(url);
      assert.equal(response.status, 200, url);
      assert.ok(known.has(sha256(Buffer.from(await response.arrayBuffer()))), `${url} holds a fixture segment's bytes`);
    }
  });

  it('a second npm start on the same port refuses at once, names PORT=…, and leaves the first serving', async () => {
    const port = new URL(base).port;
    const before = readdirSync(path.join(runDir, 'hls'), { recursive: true }).length;
    let said = '';
    const second = spawnDemo([], { PORT: port, RELAYCAST_DEMO_RUN_DIR: runDir }, (text) => (said += text));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    assert.equal(code, 1, said);
    assert.match(said, /PORT=\d+ npm start/, 'the refusal names what to do instead');
    assert.match(said, /nothing was changed/);
    assert.ok(readdirSync(path.join(runDir, 'hls'), { recursive: true }).length >= before, "the first demo's encoder output is still there");
    // The same run folder but another port: refused by the run folder's lock, before touching it.
    let thirdSaid = '';
    const third = spawnDemo([], { PORT: String(await freePort()), RELAYCAST_DEMO_RUN_DIR: runDir }, (text) => (thirdSaid += text));
    assert.equal(await new Promise<number | null>((resolve) => third.once('exit', resolve)), 1);
    assert.match(thirdSaid, /another relaycast demo \(pid \d+\) is running/);
    const master = await fetch(`${base}/live/demo/master.m3u8`);
    assert.equal(master.status, 200, 'the first demo still serves its playlist');
  });

  it('runs payout too: its supporter summary answers, and refuses a request without a token', async () => {
    const page = await untilValue(
      async () => {
        const res = await fetch(`${base}/relaycast/payout/`).catch(() => undefined);
        return res?.status === 200 ? res.text() : undefined;
      },
      'the payout summary page',
      30_000,
      250,
    );
    assert.match(page, /<title>Relaycast supporter<\/title>/);
    const me = await fetch(`${base}/relaycast/payout/me`);
    assert.equal(me.status, 401);
    assert.equal(me.headers.get('www-authenticate'), 'Bearer');
  });

  it('shows the Relaycast palette and segment msgs in the editor debug sidebar', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    for (const type of ['relaycast-hls-watch', 'relaycast-r2-upload', 'relaycast-manifest', 'relaycast-signaling']) {
      await page.waitForSelector(`.red-ui-palette-node[data-palette-type="${type}"]`, { timeout: 30_000 });
    }
    await page.waitForSelector('#red-ui-tab-debug-link-button', { timeout: 30_000 });
    await page.click('#red-ui-tab-debug-link-button');
    const message = await page.waitForSelector('.red-ui-debug-msg', { timeout: 30_000 });
    const text = (await message.textContent()) ?? '';
    assert.match(text, /finished segment/);
  });

  it('two tabs on the printed viewer URL share the stream peer to peer within a minute', async () => {
    requireLoopbackOnlyNetwork('test/e2e/demo.spec.ts');
    const viewerBrowser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    try {
      const pages: Page[] = [];
      for (let i = 0; i < 2; i++) {
        const context = await viewerBrowser.newContext();
        await context.grantPermissions(['camera', 'microphone']);
        const page = await context.newPage();
        await page.goto(viewerUrl(base, 'demo'));
        pages.push(page);
      }
      const shares = async () =>
        Promise.all(
          pages.map((page) =>
            page.evaluate(() => ({
              p2p: (window as any).relaycastViewer?.stats()?.p2pBytes ?? 0,
              shown: document.getElementById('share')?.textContent ?? '',
            })),
          ),
        );
      const started = Date.now();
      let last = await shares();
      while (!last.every((s) => s.p2p > 0 && s.shown !== '0%')) {
        assert.ok(Date.now() - started < 60_000, `both tabs to show peer bytes within a minute: ${JSON.stringify(last)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        last = await shares();
      }
    } finally {
      await viewerBrowser.close();
    }
  });

  it('loader viewers on the three-rung ladder climb to the top rung within one segment of plain hls.js, and share it peer to peer', async () => {
    // hls.js's ABR reads the loader's stats; with stats it could not see, the loader page stayed on
    // 320x180 while plain hls.js in the same browser played 640x360.
    requireLoopbackOnlyNetwork('test/e2e/demo.spec.ts');
    const viewerBrowser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    try {
      const open = async (query: string) => {
        const context = await viewerBrowser.newContext();
        await context.grantPermissions(['camera', 'microphone']);
        const page = await context.newPage();
        // Hooked as the page publishes its player, before any fragment loads: the level of every
        // main fragment buffered, in order.
        await page.addInitScript(`(() => {
          let viewer;
          window.levelsBuffered = [];
          Object.defineProperty(window, 'relaycastViewer', {
            configurable: true,
            get() { return viewer; },
            set(v) {
              viewer = v;
              v.hls.on('hlsFragBuffered', (_e, d) => { if (d.frag.type === 'main' && d.frag.sn !== 'initSegment') window.levelsBuffered.push(d.frag.level); });
            },
          });
        })()`);
        await page.goto(`${viewerUrl(base, 'demo')}${query}`);
        return page;
      };
      // Three loader pages, so that fragments also wait on peers (the case that pinned the estimate).
      const loaders = [await open(''), await open(''), await open('')];
      const plain = await open('?relaycast=0');
      const climb = (page: Page) =>
        page.evaluate(`(() => {
        const hls = window.relaycastViewer.hls;
        const top = hls.levels.length - 1;
        return {
          top, before: window.levelsBuffered.indexOf(top), levels: window.levelsBuffered.slice(0, 12),
          estimate: hls.bandwidthEstimate, defaultEstimate: hls.config.abrEwmaDefaultEstimate, topBitrate: hls.levels[top].bitrate,
        };
      })()`) as Promise<{ top: number; before: number; levels: number[]; estimate: number; defaultEstimate: number; topBitrate: number }>;
      const climbs = await untilValue(
        async () => {
          const all = await Promise.all([...loaders, plain].map(climb));
          return all.every((c) => c.before >= 0) ? all : undefined;
        },
        'every viewer to buffer a segment of the top rung',
        60_000,
        250,
      );
      const plainClimb = climbs.at(-1)!;
      assert.equal(plainClimb.top, 2, 'the demo ladder has three rungs');
      for (const loaderClimb of climbs.slice(0, -1)) {
        assert.ok(
          loaderClimb.before <= plainClimb.before + 1,
          `segments before the top rung: loader ${loaderClimb.before} (${loaderClimb.levels}), plain hls.js ${plainClimb.before} (${plainClimb.levels})`,
        );
        // The demo's top rung is below hls.js's default estimate, so the climb alone could come from
        // the default: the estimate must come from samples of the loader's own transfers.
        assert.notEqual(loaderClimb.estimate, loaderClimb.defaultEstimate, "the loader's estimate moved from its default: hls.js sampled its transfers");
        assert.ok(
          loaderClimb.estimate > loaderClimb.topBitrate,
          `the loader's estimate (${loaderClimb.estimate}) is above the top rung (${loaderClimb.topBitrate})`,
        );
      }
      // With a ladder, every loader page still gets peer bytes and its playlists from the socket.
      const swarm = () =>
        Promise.all(
          loaders.map((page) =>
            page.evaluate(() => {
              const s = (window as any).relaycastViewer.stats() ?? {};
              return { p2p: s.p2pBytes ?? 0, fromSwarm: s.playlistsFromSwarm ?? 0, fromHttp: s.playlistsFromHttp ?? 0, rendition: s.rendition };
            }),
          ),
        );
      let last: Awaited<ReturnType<typeof swarm>> = [];
      const shared = await untilValue(
        async () => {
          last = await swarm();
          return last.every((f) => f.p2p > 0 && f.fromSwarm > 5) ? last : undefined;
        },
        'every loader page to get peer bytes and take its playlists from the socket',
        60_000,
        250,
        () => JSON.stringify(last),
      );
      for (const f of shared) assert.ok(f.fromHttp < f.fromSwarm, `playlists mostly from the socket: ${JSON.stringify(f)}`);
    } finally {
      await viewerBrowser.close();
    }
  });

  it('a cold loader viewer joining a warm swarm on the ladder takes its start-up segments from peers, hls.js samples their real transfer, and the estimate keeps it on the top rung', async () => {
    // hls.js's ABR samples what the loader reports (LoaderStats loading.start/first/end and loaded,
    // on FRAG_BUFFERED). Peer segments reported as instant transfers would inflate the estimate past
    // what the link gives; reported at the lowest variant's rate, they would drop the viewer to the
    // lowest rung (both checked: the first fails the transfer-time check, the second the estimate).
    requireLoopbackOnlyNetwork('test/e2e/demo.spec.ts');
    const viewerBrowser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    try {
      const open = async (holdStart = false) => {
        const context = await viewerBrowser.newContext();
        await context.grantPermissions(['camera', 'microphone']);
        const page = await context.newPage();
        await page.addInitScript(abrWatch({ holdStart }));
        await page.goto(viewerUrl(base, 'demo'));
        return page;
      };
      // The warm swarm: two loader viewers on the top rung, linked, each holding some of its segments.
      const warm = [await open(), await open()];
      let warmSeen: unknown[] = [];
      await untilValue(
        async () => {
          warmSeen = await Promise.all(warm.map((page) => page.evaluate(WARM_STATE)));
          return (warmSeen as Array<{ onTop: boolean; held: number; peers: number }>).every((s) => s.onTop && s.held >= 3 && s.peers > 0) ? true : undefined;
        },
        'the warm viewers to play the top rung, be linked, and hold three of its segments',
        60_000,
        250,
        () => JSON.stringify(warmSeen),
      );
      // The cold viewer's player starts loading once its engine has joined and linked to a holder.
      // Left to itself, whether its start-up fragments can come from peers depends on whether the
      // welcome beats hls.js's first requests, which varies with the machine's load (seen: the welcome
      // after the second request, both fragments over HTTP). Its first fragment comes over HTTP
      // either way: that request is never made to wait for a peer (lib/peer/playback-budget.ts).
      const cold = await open(true);
      let linked: unknown;
      await untilValue(
        async () => {
          linked = await cold.evaluate(LINKED_TO_HOLDERS);
          return (linked as { holders?: number }).holders ? true : undefined;
        },
        'the cold viewer to join, take the swarm of its start level, and link to a peer that holds the newest segment',
        30_000,
        100,
        () => JSON.stringify(linked),
      );
      await cold.evaluate('window.relaycastViewer.hls.startLoad()');
      const buffered = (log: AbrLog) => log.frags.filter((f) => !f.bitrateTest && f.bufferedAt !== undefined);
      let coldSeen: AbrLog | undefined;
      const log = await untilValue(
        async () => {
          coldSeen = (await cold.evaluate(ABR_LOG)) as AbrLog;
          return buffered(coldSeen).length >= 6 ? coldSeen : undefined;
        },
        'the cold viewer to buffer six fragments',
        60_000,
        250,
        () => JSON.stringify(coldSeen),
      );
      const seen = JSON.stringify(log);
      assert.equal(log.top, 2, 'the demo ladder has three rungs');
      const frags = buffered(log);
      const first = frags.slice(0, 3);

      // What hls.js sampled is the transfer: every fragment that went through an engine (the cold
      // viewer's and the warm ones') reports at least the time from when its bytes were asked for
      // to when the last one arrived. Asked for: when hls.js asked, or, for bytes already held when
      // it asked, when the engine began fetching them (they are reported with that transfer's time).
      const warmLogs = (await Promise.all(warm.map((page) => page.evaluate(ABR_LOG)))) as AbrLog[];
      const everyFrag = [...frags.map((f) => ['cold', f] as const), ...warmLogs.flatMap((w, i) => buffered(w).map((f) => [`warm ${i}`, f] as const))];
      for (const [who, f] of everyFrag) {
        if (!f.transfer) continue;
        const reported = f.end! - f.start!;
        const held = f.transfer.finishedAt <= f.loadingAt;
        const took = f.transfer.finishedAt - (held ? f.transfer.startedAt : Math.max(f.transfer.startedAt, f.loadingAt));
        assert.ok(f.start! <= f.first! && f.first! <= f.end!, `${who} sn ${f.sn}: loading.start <= first <= end: ${JSON.stringify(f)}`);
        assert.ok(reported >= took - 0.5, `${who} sn ${f.sn}: reported ${reported} ms for a transfer of ${took} ms: ${JSON.stringify(f)}`);
      }

      // The estimate after its first three fragments would let hls.js climb to the top rung (above
      // the top bitrate with hls.js's up-switch margin), and it came from samples. On this ladder
      // hls.js starts on the top rung (its default estimate is the first variant's, the top one's):
      // the player never goes below where it started, and plays the top rung.
      const startLevel = first[0].level;
      const estimate = first[2].estimateAfter!;
      const topBitrate = log.bitrates[log.top];
      assert.notEqual(estimate, log.defaultEstimate, `the estimate came from samples: ${seen}`);
      assert.ok(
        estimate * log.upFactor > topBitrate,
        `the estimate after three fragments (${estimate}) lets hls.js climb to the top rung (${topBitrate} at an up-switch factor of ${log.upFactor}): ${seen}`,
      );
      assert.deepEqual(log.emergencies, [], `no emergency down-switch: ${seen}`);
      assert.ok(
        frags.every((f) => f.level >= startLevel) && log.switches.every((s) => s.level >= startLevel),
        `no fragment or switch below the start level ${startLevel}: fragments ${frags.map((f) => f.level)}, switches ${JSON.stringify(log.switches)}`,
      );
      assert.ok(
        frags.some((f) => f.level === log.top),
        `the cold viewer plays the top rung: ${frags.map((f) => f.level)}`,
      );

      // Its start-up fragments came from peers, but for the first (see above).
      for (const [i, f] of first.entries()) {
        if (i > 0) assert.ok((f.peer ?? 0) > 0, `fragment ${i} (sn ${f.sn}, level ${f.level}) came from peers (${f.peer} of ${f.loaded} bytes): ${seen}`);
      }
    } finally {
      await viewerBrowser.close();
    }
  });

  it('stops everything it started on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGINT');
    assert.equal(await exited, 0);
    await assert.rejects(fetch(`${base}/`), 'Node-RED no longer listens');
  });
});
