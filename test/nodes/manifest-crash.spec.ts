// relaycast-manifest SIGKILLed at random moments while a player polls its playlist: no media
// sequence number may ever name two segments (a player that saw MSN n → URI a must never be told
// later that n is URI b). The runtime is a child process (test/support/manifest-crash-child.ts)
// restarted on the same userDir after each kill; the kill moments come from a seeded PRNG.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../devtools/fault-proxy/seeded-random';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { MsnUris } from '../support/delivery-check';
import { request } from '../support/http-request';

const CHILD = path.resolve(__dirname, '../support/manifest-crash-child.ts');

function start(userDir: string, t0: number, mode: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, userDir, String(t0), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it served`)));
  });
}

describe('relaycast-manifest killed at random moments (SIGKILL) while a player polls', function () {
  this.timeout(180_000);
  let userDir: string;
  beforeEach(() => {
    userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-manifest-kill-'));
  });
  afterEach(() => rmSync(userDir, { recursive: true, force: true }));

  // dvr: every segment kept, so each save also appends to (and restores from) the history log.
  for (const mode of ['window', 'dvr'])
    it(`never lets one media sequence number name two segments (${mode})`, async () => {
      const random = seededRandom(20261201);
      const t0 = Date.now();
      const seen = new MsnUris();
      let versions = 0;
      for (let run = 0; run < 15; run++) {
        const { child, base } = await start(userDir, t0, mode);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Kill after a random number of answered polls: the moment falls anywhere between a
        // segment's arrival, its playlist being served, and its state reaching disk.
        const polls = 1 + Math.floor(random() * 60);
        let answered = 0;
        while (answered < polls) {
          const res = await request(base, '/live/demo/main.m3u8').catch(() => undefined);
          if (!res || res.status !== 200) continue;
          answered += 1;
          versions += 1;
          const playlist = parseMediaPlaylist(res.body.toString());
          seen.observe(playlist.segments);
        }
        child.kill('SIGKILL');
        await exited;
      }
      assert.ok(versions >= 15 && seen.size > 20, `the player saw too little to prove anything (${versions} versions, ${seen.size} MSNs)`);
      assert.deepEqual(seen.conflicts.slice(0, 5), [], `${seen.conflicts.length} MSNs named two segments`);
      // Each restart restored the state (a lost one would be moved aside as .bad-): the test is not
      // passed by wall-clock numbering alone. With DVR the history log was in use.
      const files = readdirSync(path.join(userDir, 'relaycast', 'manifest'));
      assert.deepEqual(
        files.filter((f) => f.includes('.bad-')),
        [],
        'no state was lost',
      );
      if (mode === 'dvr')
        assert.ok(
          files.some((f) => /\.history-\d+\.jsonl$/.test(f)),
          `a history log is kept (${files.join(', ')})`,
        );
    });
});
