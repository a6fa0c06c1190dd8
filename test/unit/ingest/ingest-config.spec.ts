// The ingest's pure rules: the ladder syntax, the ffmpeg command line of each mode, the stream key
// (checked and compared), the per-source refusal limit and ffmpeg's progress lines.
import assert from 'node:assert/strict';
import { ffmpegArgs } from '../../../lib/ingest/ffmpeg-args';
import { LineSplitter, ProgressReader, type FfmpegProgress } from '../../../lib/ingest/ffmpeg-progress';
import { parseLadder } from '../../../lib/ingest/ladder';
import { RefusalLimiter } from '../../../lib/ingest/refusal-limiter';
import { readSrtPacket } from '../../../lib/ingest/srt-packet';
import { checkSrtPassphrase, srtInputScript } from '../../../lib/ingest/srt-passphrase';
import { checkStreamKey, streamKeyMatcher } from '../../../lib/ingest/stream-key';

describe('ingest config and helpers', () => {
  it('parses a ladder of up to three distinct rungs and refuses anything else with E_CONFIG', () => {
    assert.deepEqual(parseLadder('720:2800, 360:600'), [
      { height: 720, videoKbps: 2800, name: '720p' },
      { height: 360, videoKbps: 600, name: '360p' },
    ]);
    for (const bad of ['', '720:2800,480:1200,360:600,240:300', '721:100', '720:2800,720:1000', '720p:2800', '4320:100'])
      assert.throws(() => parseLadder(bad), { code: 'E_CONFIG' }, bad);
  });

  it('copy mode copies into one media playlist; ladder mode forces aligned keyframes and writes a master', () => {
    const base = { protocol: 'rtmp' as const, listenPort: 4000, outDir: '/out', launchId: 'abc', segmentSeconds: 2, listSize: 6 };
    const copy = ffmpegArgs({ ...base, ladder: [] }).join(' ');
    assert.match(copy, /-listen 1 .*-i rtmp:\/\/127\.0\.0\.1:4000\//);
    assert.match(copy, /-c copy/);
    assert.match(copy, /-hls_segment_filename \/out\/abc-%05d\.ts \/out\/index\.m3u8$/);
    assert.doesNotMatch(copy, /libx264|master/);
    const ladder = ffmpegArgs({ ...base, ladder: parseLadder('720:2800,360:600') }).join(' ');
    assert.match(ladder, /-force_key_frames expr:gte\(t,n_forced\*2\) -sc_threshold 0/);
    assert.match(ladder, /-var_stream_map v:0,a:0,name:720p v:1,a:1,name:360p/);
    assert.match(ladder, /-master_pl_name master\.m3u8/);
    assert.match(ladder, /-b:v:1 600k -maxrate:v:1 600k/);
  });

  it('SRT: the input is a script on stdin, and the passphrase is in the script only', () => {
    const passphrase = 'a-long-srt-passphrase!';
    const args = ffmpegArgs({ protocol: 'srt', listenPort: 4001, outDir: '/out', launchId: 'abc', segmentSeconds: 2, listSize: 6, ladder: [] });
    assert.match(args.join(' '), /-f concat -safe 0 -protocol_whitelist pipe,srt,udp -i pipe:0 /);
    assert.ok(!args.join(' ').includes(passphrase) && !args.join(' ').includes('srt://'));
    assert.equal(
      srtInputScript(4001, passphrase, 200),
      `ffconcat version 1.0\nfile 'srt://127.0.0.1:4001?mode=listener&latency=200000'\noption passphrase '${passphrase}'\n`,
    );
    for (const bad of [
      undefined,
      '',
      'short-one',
      'x'.repeat(65),
      "has'quote-in-it-1234",
      'has\\backslash-12345',
      'has space in it 12345',
      'new\nline-in-it-12345',
    ])
      assert.throws(() => checkSrtPassphrase(bad), { code: 'E_CONFIG' }, String(bad));
    assert.equal(checkSrtPassphrase('x'.repeat(64)), 'x'.repeat(64));
  });

  it('SRT packets: reads the handshake type the gate acts on, and nothing else', () => {
    const handshake = (type: number): Buffer => {
      const b = Buffer.alloc(64);
      b.writeUInt16BE(0x8000, 0); // control, type 0 (handshake)
      b.writeInt32BE(type, 36);
      return b;
    };
    assert.deepEqual(readSrtPacket(handshake(1)), { kind: 'induction' });
    assert.deepEqual(readSrtPacket(handshake(-1)), { kind: 'conclusion' });
    assert.deepEqual(readSrtPacket(handshake(1010)), { kind: 'rejected', reason: 10 });
    assert.deepEqual(readSrtPacket(handshake(0)), { kind: 'handshake' });
    const shutdown = Buffer.alloc(16);
    shutdown.writeUInt16BE(0x8005, 0);
    assert.deepEqual(readSrtPacket(shutdown), { kind: 'shutdown' });
    const data = handshake(1);
    data[0] = 0x00; // the F bit clear: a data packet, whatever its bytes
    assert.deepEqual(readSrtPacket(data), { kind: 'other' });
    assert.deepEqual(readSrtPacket(handshake(1).subarray(0, 39)), { kind: 'other' }, 'too short for a handshake');
    assert.deepEqual(readSrtPacket(Buffer.alloc(3)), { kind: 'other' });
  });

  it('accepts a strong key only, and compares keys exactly', () => {
    for (const bad of [undefined, '', 'short', 'has space in it 123', 'has/slash/in/it/12345', 'x'.repeat(300)])
      assert.throws(() => checkStreamKey(bad), { code: 'E_CONFIG' }, String(bad));
    const matches = streamKeyMatcher(checkStreamKey('a-good-stream-key-42'));
    assert.equal(matches('a-good-stream-key-42'), true);
    assert.equal(matches('a-good-stream-key-4'), false);
    assert.equal(matches('a-good-stream-key-421'), false);
  });

  it('blocks a source after five refusals within the window, and frees it after', () => {
    const limiter = new RefusalLimiter({ maxRefusals: 5, windowMs: 60_000, maxSources: 2 });
    for (let i = 0; i < 4; i++) limiter.refused('10.0.0.1', 1000 + i);
    assert.equal(limiter.blocked('10.0.0.1', 2000), false, 'four refusals are not yet five');
    limiter.refused('10.0.0.1', 1004);
    assert.equal(limiter.blocked('10.0.0.1', 2000), true);
    assert.equal(limiter.blocked('10.0.0.2', 2000), false);
    assert.equal(limiter.blocked('10.0.0.1', 62_001), false);
  });

  it('keeps at most maxSources sources, forgetting the oldest first', () => {
    const limiter = new RefusalLimiter({ maxRefusals: 5, windowMs: 60_000, maxSources: 2 });
    const block = (source: string, at: number): void => {
      for (let i = 0; i < 5; i++) limiter.refused(source, at);
    };
    block('a', 0);
    block('b', 1);
    assert.equal(limiter.blocked('a', 2), true);
    assert.equal(limiter.blocked('b', 2), true);
    // A third source: the table is full, so 'a' (the oldest) is forgotten and no longer blocked.
    block('c', 3);
    assert.equal(limiter.blocked('a', 4), false, 'the oldest source was dropped to keep the bound');
    assert.equal(limiter.blocked('b', 4), true);
    assert.equal(limiter.blocked('c', 4), true);
  });

  it('reads ffmpeg progress blocks, and splits lines with a bounded buffer', () => {
    const seen: FfmpegProgress[] = [];
    const reader = new ProgressReader((p) => seen.push(p));
    reader.lines.push('frame=30\nfps=29.97\nout_time_us=1000000\nspe');
    reader.lines.push('ed=1.01x\nprogress=continue\nfps=N/A\nprogress=end\n');
    assert.deepEqual(seen, [
      { fps: 29.97, speed: 1.01 },
      { fps: undefined, speed: undefined },
    ]);
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (let i = 0; i < 100; i++) splitter.push('x'.repeat(1000));
    splitter.push('\n');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.length <= 1024);
  });
});
