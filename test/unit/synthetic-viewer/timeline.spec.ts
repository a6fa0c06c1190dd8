// The synthetic player's view of a live media playlist: media timeline from EXTINF, hls.js's start
// position (liveSyncDurationCount target durations behind the edge), and latency from
// PROGRAM-DATE-TIME or, without it, from the edge and the playlist's age.
import assert from 'node:assert/strict';
import { LiveTimeline } from '../../../devtools/synthetic-viewer/timeline';
import { swarmFigures, type ViewerFigures } from '../../../devtools/synthetic-viewer/figures';
import { uploadOff } from '../../../devtools/synthetic-viewer';

const URL_ = 'http://127.0.0.1:1/live/s/main.m3u8';

function playlist(first: number, count: number, options: { pdt?: number; block?: boolean } = {}): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`];
  if (options.block) lines.push('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES');
  for (let i = 0; i < count; i++) {
    if (options.pdt !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(options.pdt + (first + i) * 2000).toISOString()}`);
    lines.push('#EXTINF:2.000,', `seg_${first + i}.ts`);
  }
  return lines.join('\n') + '\n';
}

describe('synthetic viewer: the live timeline', () => {
  it('places segments on the media timeline and starts 3 target durations behind the live edge', () => {
    const t = new LiveTimeline();
    assert.equal(t.update(playlist(10, 6, { block: true }), URL_, 0), true);
    assert.equal(t.canBlockReload, true);
    assert.equal(t.edge(), 12);
    assert.equal(t.startMsn(3), 13, 'edge 12 s − 6 s → the segment that starts at 6 s');
    assert.equal(t.get(13)!.url, 'http://127.0.0.1:1/live/s/seg_13.ts');
    assert.equal(t.update(playlist(11, 6), URL_, 2000), true);
    assert.deepEqual([t.get(16)!.start, t.firstMsn, t.lastMsn], [12, 11, 16]);
    assert.equal(t.update(playlist(11, 6), URL_, 2500), false, 'the same version lists nothing new');
  });

  it('latency from PROGRAM-DATE-TIME, else from the edge plus the playlist age', () => {
    const epoch = Date.parse('2026-01-01T00:00:00Z');
    const withPdt = new LiveTimeline();
    withPdt.update(playlist(0, 6, { pdt: epoch }), URL_, 0);
    // Position 7 s is segment 3 (PDT epoch + 6 s) plus 1 s into it.
    assert.equal(withPdt.latencyMs(7, 0, epoch + 13_000), 6_000);
    const plain = new LiveTimeline();
    plain.update(playlist(0, 6), URL_, 1_000);
    assert.equal(plain.latencyMs(7, 1_500, 0), 5_500);
  });
});

describe('synthetic viewer: swarm figures', () => {
  it('spreads upload-off viewers evenly through the join order', () => {
    const off = Array.from({ length: 10 }, (_, i) => uploadOff(i, 0.3));
    assert.equal(off.filter(Boolean).length, 3);
    assert.equal(Array.from({ length: 10 }, (_, i) => uploadOff(i, 0)).filter(Boolean).length, 0);
    assert.equal(Array.from({ length: 7 }, (_, i) => uploadOff(i, 1)).filter(Boolean).length, 7);
  });

  it('judges offload by the media played, with the ceiling 1 − 1/N and the unplayed peer bytes beside it', () => {
    const viewer = (id: string, played: number, playedPeer: number, receivedPeer: number, http: number): ViewerFigures => ({
      id,
      upload: true,
      stalls: 0,
      stallMs: 0,
      playedSeconds: 10,
      segmentsPlayed: 5,
      playedBytes: played,
      playedPeerBytes: playedPeer,
      receivedPeerBytes: receivedPeer,
      httpBytes: http,
      unusedPeerBytes: receivedPeer - playedPeer,
      uploadedBytes: 0,
      httpSegments: 0,
      p2pSegments: 0,
      deadlineMisses: 0,
      httpAtOnce: 0,
      deadlineWithoutHolder: 0,
      httpUnannounced: 0,
      stallLog: [],
      peers: 1,
      skips: 0,
      errors: [],
    });
    const f = swarmFigures([viewer('a', 1000, 0, 0, 1000), viewer('b', 1000, 1000, 2000, 0)], 10, { process: { cpuMs: 0, cpuOfOneCore: 0, rssPeakMB: 0 } });
    assert.equal(f.offloadPlayed, 0.5);
    assert.equal(f.ceiling, 0.5);
    assert.equal(f.offloadOfCeiling, 1);
    assert.equal(f.offloadReceived, 2000 / 3000, 'by bytes received it would look better');
    assert.equal(f.unusedPeerShare, 0.5);
  });
});
