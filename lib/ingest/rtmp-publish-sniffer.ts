/**
 * Reads what an RTMP publisher sends, up to its `publish` command, without answering it: the
 * ingest relays the bytes to ffmpeg (which does the talking) only after they were read here, so
 * the stream key in `publish` is checked before ffmpeg sees the command and before any media can
 * follow (a publisher sends media only after ffmpeg's NetStream.Publish.Start).
 *
 * What it understands of RTMP (Adobe's RTMP specification, sections 5.2–5.4 and 7.2): the plain
 * handshake (C0 = 3, C1, C2: 1 + 1536 + 1536 bytes), chunk headers of the four formats with
 * extended timestamps, Set Chunk Size, and AMF0/AMF3 command messages. Everything before `publish`
 * is bounded: the bytes in all, each message's length, the chunk size.
 */
import { RelaycastError } from '../errors';
import { readAmf0Command } from './amf0';

const HANDSHAKE_BYTES = 1 + 1536 + 1536;
/** OBS sends under 1 KiB before publish; nothing legitimate comes near this. */
export const MAX_BYTES_BEFORE_PUBLISH = 64 * 1024;
const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_CHUNK_SIZE = 1 << 24;
const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;

const TYPE_SET_CHUNK_SIZE = 1;
const TYPE_AMF3_COMMAND = 17;
const TYPE_AMF0_COMMAND = 20;

export type SniffResult = { kind: 'more' } | { kind: 'publish'; streamName: string };

interface ChunkStream {
  length: number;
  type: number;
  extended: boolean;
  parts: Buffer[];
  received: number;
}

function protocolError(what: string): RelaycastError {
  return new RelaycastError('E_INGEST_PROTOCOL', `not an RTMP publisher: ${what}`);
}

export class RtmpPublishSniffer {
  private pending: Buffer = Buffer.alloc(0);
  private total = 0;
  private handshakeLeft = HANDSHAKE_BYTES;
  private chunkSize = 128;
  private readonly streams = new Map<number, ChunkStream>();
  private found: string | undefined;

  /** The next bytes from the publisher; throws E_INGEST_PROTOCOL on anything that is not RTMP. */
  feed(bytes: Buffer): SniffResult {
    if (this.found !== undefined) return { kind: 'publish', streamName: this.found };
    this.total += bytes.length;
    if (this.total > MAX_BYTES_BEFORE_PUBLISH) throw protocolError(`over ${MAX_BYTES_BEFORE_PUBLISH} bytes without a publish command`);
    let data = bytes;
    if (this.handshakeLeft > 0) {
      if (this.handshakeLeft === HANDSHAKE_BYTES && data.length > 0 && data[0] !== 3)
        throw protocolError(`handshake version ${data[0]} (only plain RTMP, version 3, is served)`);
      const skip = Math.min(this.handshakeLeft, data.length);
      this.handshakeLeft -= skip;
      data = data.subarray(skip);
    }
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    for (;;) {
      const used = this.chunk(this.pending);
      if (used === 0) break;
      this.pending = this.pending.subarray(used);
      if (this.found !== undefined) return { kind: 'publish', streamName: this.found };
    }
    return { kind: 'more' };
  }

  /** Parses one whole chunk at the start of buf: its length, or 0 while it is incomplete. */
  private chunk(buf: Buffer): number {
    if (buf.length < 1) return 0;
    const fmt = buf[0]! >> 6;
    let csid = buf[0]! & 0x3f;
    let at = 1;
    if (csid === 0) {
      if (buf.length < 2) return 0;
      csid = 64 + buf[1]!;
      at = 2;
    } else if (csid === 1) {
      if (buf.length < 3) return 0;
      csid = 64 + buf[1]! + buf[2]! * 256;
      at = 3;
    }
    const headerBytes = MESSAGE_HEADER_BYTES[fmt as 0 | 1 | 2 | 3];
    if (buf.length < at + headerBytes) return 0;
    let stream = this.streams.get(csid);
    if (!stream) {
      if (fmt !== 0) throw protocolError(`chunk stream ${csid} starts without a full header`);
      if (this.streams.size >= 16) throw protocolError('too many chunk streams');
      stream = { length: 0, type: 0, extended: false, parts: [], received: 0 };
      this.streams.set(csid, stream);
    }
    if (fmt <= 1 && stream.received > 0) throw protocolError(`a new message on chunk stream ${csid} before the last one ended`);
    if (fmt <= 2) stream.extended = buf.readUIntBE(at, 3) === 0xffffff;
    if (fmt <= 1) {
      stream.length = buf.readUIntBE(at + 3, 3);
      stream.type = buf[at + 6]!;
      if (stream.length > MAX_MESSAGE_BYTES) throw protocolError(`a ${stream.length}-byte message before publish`);
    }
    at += headerBytes;
    if (stream.extended) {
      if (buf.length < at + 4) return 0;
      at += 4;
    }
    const take = Math.min(this.chunkSize, stream.length - stream.received);
    if (buf.length < at + take) return 0;
    stream.parts.push(buf.subarray(at, at + take));
    stream.received += take;
    if (stream.received === stream.length) {
      const body = Buffer.concat(stream.parts);
      stream.parts = [];
      stream.received = 0;
      this.message(stream.type, body);
    }
    return at + take;
  }

  private message(type: number, body: Buffer): void {
    if (type === TYPE_SET_CHUNK_SIZE) {
      if (body.length < 4) throw protocolError('a short Set Chunk Size');
      const size = body.readUInt32BE(0) & 0x7fffffff;
      if (size < 1 || size > MAX_CHUNK_SIZE) throw protocolError(`chunk size ${size}`);
      this.chunkSize = size;
      return;
    }
    if (type !== TYPE_AMF0_COMMAND && type !== TYPE_AMF3_COMMAND) return;
    // An AMF3 command message is AMF0 after one format byte.
    const command = readAmf0Command(type === TYPE_AMF3_COMMAND ? body.subarray(1) : body);
    if (command.name !== 'publish') return;
    const name = command.args[0];
    if (typeof name !== 'string') throw protocolError('publish without a stream name');
    this.found = name;
  }
}
