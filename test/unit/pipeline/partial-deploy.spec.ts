// hls-watch → r2-upload → manifest (the three cores, no Node-RED, a store in memory) through a
// partial deploy that restarts manifest alone: the release of segment 1 meets the stopped manifest
// and is dropped, while segment 2, sent in the same pass, is still being stored. The restarted
// manifest announces itself; hls-watch sends 1 and 2 again, but those queue in r2-upload behind the
// first copy of 2, which reaches manifest first, skipping 1. Listed then, it would leave 1 no place
// (playlists only append): manifest asks, leaves it unconfirmed, and lists 1, 2 when they come.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseMediaPlaylist } from '../../../devtools/hls-validator';
import type { SegmentInfo } from '../../../lib/protocol/msgs';
import { DeliveryReceipts } from '../../../lib/pipeline/delivery-receipts';
import type { WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import { HlsWatcher } from '../../../lib/hls-watch/watcher';
import { ManifestCore } from '../../../lib/manifest';
import { Uploader, parseUploadInput } from '../../../lib/upload';
import type { ObjectStore } from '../../../lib/upload/object-store';
import { outputFor } from '../../../nodes/r2-upload/output';
import { until } from '../../support/until';
import { mediaPlaylist, segmentBytes, tempDir, writeAtomically } from '../hls-watch/helpers';

/** A store that takes a few ms per PUT, so a segment sent after another is still in flight when it is released. */
function memoryStore(): ObjectStore & { puts: string[]; objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  const puts: string[] = [];
  return {
    objects,
    puts,
    put: async (request) => {
      puts.push(request.key);
      await new Promise((resolve) => setTimeout(resolve, 20));
      objects.set(request.key, request.body);
      return { etag: createHash('md5').update(request.body).digest('hex') };
    },
    get: async (key) => objects.get(key) ?? Buffer.alloc(0),
    delete: async (key) => {
      objects.delete(key);
    },
  };
}

describe('hls-watch → r2-upload → manifest: a partial deploy restarts manifest alone while an upload is in flight', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    dir = realpathSync(t.dir);
    cleanup = t.cleanup;
  });
  afterEach(() => cleanup());

  it('lists every segment once, in order: the copy that overtook the resend of the dropped one waits for its own', async () => {
    const receipts = new DeliveryReceipts();
    const store = memoryStore();
    const uploader = new Uploader({ store, publicBaseUrl: 'https://media.example.test', keyPrefix: 'live', verifyEtag: false });
    const newManifest = (): ManifestCore => new ManifestCore({ resendRequest: (stream, request) => receipts.requestResend(stream, request) });
    let manifest = newManifest();
    const refused: string[] = [];
    const listedBy = (core: ManifestCore): string[] => parseMediaPlaylist(core.mediaPlaylist('demo', 'main')!.text).segments.map((s) => s.uri);

    // r2-upload's release → manifest, which confirms what it handled.
    const toManifest = (msg: Record<string, unknown>): void => {
      try {
        const update = manifest.apply(msg);
        const segment = msg.segment as SegmentInfo;
        if (!update.comesAgain) receipts.confirm(segment.stream, segment.rendition, segment.session, segment.sequence);
      } catch (err) {
        refused.push((err as { code: string }).code);
      }
    };
    const toUpload = (m: WatchMsg): void => {
      if (m.topic !== 'segment') return;
      const msg = m as unknown as Record<string, unknown>;
      void uploader.submit(parseUploadInput(msg), (outcome) => {
        const out = outputFor(msg, outcome);
        // The partial deploy, as segment 1 is released: manifest stops (the release is lost) and
        // starts again from its saved state, and announces itself.
        if (m.segment.sequence === 1 && !m.segment.redelivered) {
          const saved = manifest.snapshot();
          manifest = newManifest();
          manifest.restore(saved);
          receipts.restarted('demo');
          return;
        }
        if (out) toManifest(out);
      });
    };

    const sent: WatchMsg[] = [];
    const watcher = new HlsWatcher(
      { path: dir, stream: 'demo', checkIntervalMs: 50, receiptsExpected: () => true },
      {
        onMessage: (m) => {
          sent.push(m);
          toUpload(m);
        },
        onError: () => undefined,
      },
    );
    receipts.subscribe('demo', (rendition, session, sequence) => watcher.confirm(rendition, session, sequence));
    receipts.onResend('demo', (request) => watcher.resendUnconfirmed(request));
    let written = 0;
    const write = (count: number): void => {
      for (let i = written; i < count; i++) writeFileSync(path.join(dir, `seg_0000${i}.ts`), segmentBytes(`seg-${i}`));
      writeAtomically(
        path.join(dir, 'index.m3u8'),
        mediaPlaylist({ sequence: 0, entries: Array.from({ length: count }, (_, i) => ({ uri: `seg_0000${i}.ts`, duration: 2 })) }),
      );
      written = count;
    };
    try {
      await watcher.start();
      write(1);
      await until(() => manifest.mediaPlaylist('demo', 'main') !== undefined, 'segment 0 listed');
      write(3); // 1 and 2 in one pass: 2 is in flight when 1 is released
      await until(() => listedBy(manifest).length >= 3, 'three segments listed');
      write(4);
      await until(() => listedBy(manifest).length >= 4, 'the next one listed after them');
    } finally {
      await watcher.close();
      await uploader.close(1000);
    }
    const segments = sent.flatMap((m) => (m.topic === 'segment' ? [m.segment] : []));
    const redelivered = segments.filter((s) => s.redelivered).map((s) => s.sequence);
    assert.ok(redelivered.includes(1) && redelivered.includes(2), `1 and 2 sent again (sent again: ${redelivered.join(', ')})`);
    assert.deepEqual(
      listedBy(manifest),
      [0, 1, 2, 3].map((i) => `https://media.example.test/live/demo/${segments[0].session}/main/seg-0000000${i}.ts`),
      'each listed once, in order',
    );
    assert.deepEqual(refused, [], 'the repeats are ignored quietly');
    for (const key of new Set(store.puts)) assert.ok(store.objects.has(key));
  });
});
