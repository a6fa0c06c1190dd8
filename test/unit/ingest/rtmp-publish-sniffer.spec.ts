// The gate's RTMP reader: finds the publish command's stream name through the handshake, chunk
// headers of every format, a Set Chunk Size and split TCP reads; refuses what is not RTMP and
// anything unbounded, with E_INGEST_PROTOCOL.
import assert from 'node:assert/strict';
import { readAmf0Command } from '../../../lib/ingest/amf0';
import { MAX_BYTES_BEFORE_PUBLISH, RtmpPublishSniffer } from '../../../lib/ingest/rtmp-publish-sniffer';

const str = (s: string): Buffer => {
  const b = Buffer.alloc(3 + Buffer.byteLength(s));
  b[0] = 0x02;
  b.writeUInt16BE(Buffer.byteLength(s), 1);
  b.write(s, 3);
  return b;
};
const num = (n: number): Buffer => {
  const b = Buffer.alloc(9);
  b.writeDoubleBE(n, 1);
  return b;
};
const NULL = Buffer.from([0x05]);
const obj = (entries: Record<string, string>): Buffer =>
  Buffer.concat([
    Buffer.from([0x03]),
    ...Object.entries(entries).flatMap(([k, v]) => {
      const key = Buffer.alloc(2 + k.length);
      key.writeUInt16BE(k.length, 0);
      key.write(k, 2);
      return [key, str(v)];
    }),
    Buffer.from([0, 0, 9]),
  ]);

/** A message as chunks: a format-0 header, then format-3 continuations every `chunkSize` bytes. */
function chunks(csid: number, type: number, body: Buffer, chunkSize: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += chunkSize) {
    if (at === 0) {
      const h = Buffer.alloc(12);
      h[0] = csid;
      h.writeUIntBE(0, 1, 3);
      h.writeUIntBE(body.length, 4, 3);
      h[7] = type;
      h.writeUInt32LE(0, 8);
      parts.push(h);
    } else parts.push(Buffer.from([0xc0 | csid]));
    parts.push(body.subarray(at, at + chunkSize));
  }
  return Buffer.concat(parts);
}

const handshake = (): Buffer => Buffer.concat([Buffer.from([3]), Buffer.alloc(1536 * 2, 7)]);
const command = (name: string, ...args: Buffer[]): Buffer => Buffer.concat([str(name), num(1), NULL, ...args]);

/** What OBS sends up to publish, with a long tcUrl so connect spans several 128-byte chunks. */
function obsSession(key: string): Buffer {
  const setChunkSize = Buffer.alloc(4);
  setChunkSize.writeUInt32BE(4096);
  const connect = Buffer.concat([str('connect'), num(1), obj({ app: 'live', type: 'nonprivate', tcUrl: `rtmp://example.org:1935/live/${'x'.repeat(200)}` })]);
  return Buffer.concat([
    handshake(),
    chunks(3, 20, connect, 128),
    chunks(2, 1, setChunkSize, 128),
    chunks(3, 20, command('releaseStream', str(key)), 4096),
    chunks(3, 20, command('FCPublish', str(key)), 4096),
    chunks(3, 20, command('createStream'), 4096),
    chunks(8, 20, command('publish', str(key), str('live')), 4096),
  ]);
}

describe('RtmpPublishSniffer', () => {
  it('finds the publish stream name in one read', () => {
    assert.deepEqual(new RtmpPublishSniffer().feed(obsSession('my-key')), { kind: 'publish', streamName: 'my-key' });
  });

  it('finds it whatever the TCP reads split, byte by byte included', () => {
    const bytes = obsSession('k'.repeat(40));
    for (const size of [1, 7, 128, 1000]) {
      const sniffer = new RtmpPublishSniffer();
      let result;
      for (let at = 0; at < bytes.length; at += size) result = sniffer.feed(bytes.subarray(at, at + size));
      assert.deepEqual(result, { kind: 'publish', streamName: 'k'.repeat(40) }, `reads of ${size}`);
    }
  });

  it('says "more" until the publish command has arrived', () => {
    const bytes = obsSession('my-key');
    assert.deepEqual(new RtmpPublishSniffer().feed(bytes.subarray(0, bytes.length - 1)), { kind: 'more' });
  });

  it('refuses a client that is not plain RTMP, and one that sends too much before publishing', () => {
    assert.throws(() => new RtmpPublishSniffer().feed(Buffer.from('GET / HTTP/1.1\r\n')), { code: 'E_INGEST_PROTOCOL' });
    const sniffer = new RtmpPublishSniffer();
    sniffer.feed(handshake());
    const big = chunks(3, 9, Buffer.alloc(1000), 128); // small media messages, never a publish
    assert.throws(
      () => {
        for (let i = 0; i < MAX_BYTES_BEFORE_PUBLISH / big.length + 2; i++) sniffer.feed(big);
      },
      { code: 'E_INGEST_PROTOCOL' },
    );
  });

  it('refuses an oversized message, a continuation with no header before it, and garbage AMF', () => {
    const huge = Buffer.concat([handshake(), Buffer.from([0x03, 0, 0, 0, 0x10, 0, 0, 20, 0, 0, 0, 0])]);
    assert.throws(() => new RtmpPublishSniffer().feed(huge), { code: 'E_INGEST_PROTOCOL' });
    assert.throws(() => new RtmpPublishSniffer().feed(Buffer.concat([handshake(), Buffer.from([0xc5, 1, 2])])), { code: 'E_INGEST_PROTOCOL' });
    assert.throws(() => new RtmpPublishSniffer().feed(Buffer.concat([handshake(), chunks(3, 20, Buffer.from([0x42, 1, 2]), 128)])), {
      code: 'E_INGEST_PROTOCOL',
    });
  });

  it('reads AMF0 commands without letting a key reach the prototype', () => {
    const cmd = readAmf0Command(Buffer.concat([str('connect'), num(1), obj({ __proto__: 'x', app: 'live' })]));
    assert.equal(cmd.name, 'connect');
    assert.equal(cmd.transactionId, 1);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
