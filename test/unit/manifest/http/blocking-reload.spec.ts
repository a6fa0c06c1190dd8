// Held blocking-reload requests (_HLS_msn) are bounded: past the cap a request is answered at once.
// With LL-HLS parts, `_HLS_part` waits for that part of the segment, or for the whole segment.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlockingReloads } from '../../../../lib/manifest/http/blocking-reload';
import type { RenderedPlaylist } from '../../../../lib/manifest';
import { request } from '../../../support/http-request';

const live: RenderedPlaylist = {
  text: '#EXTM3U\n',
  etag: '"x"',
  stream: 'demo',
  rendition: 'main',
  targetDuration: 2,
  lastMsn: 5,
  presentation: 0,
  ended: false,
};

describe('manifest blocking reloads', () => {
  it('holds at most its cap of requests; the next one gets 503 with Retry-After at once, and closing answers the held ones', async () => {
    const blocking = new BlockingReloads(3);
    let blocked = 0;
    const server = http.createServer((req, res) => {
      blocking.answer(
        { msn: '6' },
        live,
        res,
        (p) => {
          res.end(p.text);
        },
        () => {
          blocked += 1;
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const held = [0, 1, 2].map(() => request(base, '/main.m3u8?_HLS_msn=6'));
      const start = Date.now();
      while (blocking.size < 3) {
        if (Date.now() - start > 5000) throw new Error('requests were not held');
        await new Promise((r) => setTimeout(r, 5));
      }
      const refused = await request(base, '/main.m3u8?_HLS_msn=6');
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.equal(blocking.size, 3);
      assert.equal(blocked, 3);
      blocking.closeAll();
      assert.deepEqual(
        (await Promise.all(held)).map((r) => r.status),
        [503, 503, 503],
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('holds _HLS_msn with _HLS_part until that part is listed, or its whole segment', async () => {
    const blocking = new BlockingReloads();
    const edge = (lastMsn: number, part?: { msn: number; index: number }): RenderedPlaylist => ({
      ...live,
      text: `#EXTM3U\n#${lastMsn}/${part ? `${part.msn}.${part.index}` : '-'}\n`,
      lastMsn,
      ...(part ? { lastPart: part } : {}),
    });
    let current = edge(5, { msn: 6, index: 0 });
    const server = http.createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      blocking.answer(
        { msn: query.get('_HLS_msn') ?? undefined, part: query.get('_HLS_part') ?? undefined },
        current,
        res,
        (p) => res.end(p.text),
        () => undefined,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const publish = (p: RenderedPlaylist) => {
      current = p;
      blocking.published(p);
    };
    try {
      assert.equal((await request(base, '/main.m3u8?_HLS_msn=6&_HLS_part=0')).body.toString(), current.text, 'a part already listed: at once');
      const nextPart = request(base, '/main.m3u8?_HLS_msn=6&_HLS_part=1');
      const later = request(base, '/main.m3u8?_HLS_msn=6&_HLS_part=3');
      const wholeSegment = request(base, '/main.m3u8?_HLS_msn=6');
      const start = Date.now();
      while (blocking.size < 3) {
        if (Date.now() - start > 5000) throw new Error('requests were not held');
        await new Promise((r) => setTimeout(r, 5));
      }
      publish(edge(5, { msn: 6, index: 1 }));
      assert.equal((await nextPart).body.toString(), current.text);
      assert.equal(blocking.size, 2, 'a later part and the whole segment still wait');
      // Segment 6 ends with three parts: the one asked for (index 3) is then the next segment's first.
      publish(edge(6, { msn: 6, index: 2 }));
      assert.equal((await later).body.toString(), current.text);
      assert.equal((await wholeSegment).body.toString(), current.text);
      assert.equal(blocking.size, 0);
    } finally {
      blocking.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
