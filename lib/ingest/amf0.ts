/**
 * Just enough AMF0 (Adobe's Action Message Format 0) to read an RTMP command from a publisher: the
 * command name, its transaction id, its command object and its arguments. Every length and nesting
 * level is bounded, so a hostile client cannot make the reader allocate or recurse without limit.
 */
import { RelaycastError } from '../errors';

export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Value[] | { [key: string]: Amf0Value };

const MAX_DEPTH = 8;
const MAX_ENTRIES = 256;

function malformed(what: string): RelaycastError {
  return new RelaycastError('E_INGEST_PROTOCOL', `malformed AMF0 command: ${what}`);
}

export class Amf0Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed('value runs past the message');
  }

  private utf8(length: number): string {
    this.need(length);
    const text = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return text;
  }

  private shortString(): string {
    this.need(2);
    const length = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return this.utf8(length);
  }

  /** Keys and values until the 00 00 09 end marker. */
  private properties(depth: number): { [key: string]: Amf0Value } {
    const out: { [key: string]: Amf0Value } = {};
    for (let i = 0; ; i++) {
      if (i > MAX_ENTRIES) throw malformed('too many properties');
      const key = this.shortString();
      this.need(1);
      if (key === '' && this.buf[this.pos] === 0x09) {
        this.pos += 1;
        return out;
      }
      // Never let a key name reach the prototype.
      const value = this.value(depth + 1);
      if (key !== '__proto__') out[key] = value;
    }
  }

  value(depth = 0): Amf0Value {
    if (depth > MAX_DEPTH) throw malformed('nested too deep');
    this.need(1);
    const marker = this.buf[this.pos++]!;
    switch (marker) {
      case 0x00: {
        this.need(8);
        const n = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return n;
      }
      case 0x01:
        this.need(1);
        return this.buf[this.pos++] !== 0;
      case 0x02:
        return this.shortString();
      case 0x03:
        return this.properties(depth);
      case 0x05:
        return null;
      case 0x06:
        return undefined;
      case 0x08: // ECMA array: a count (advisory) and then properties like an object
        this.need(4);
        this.pos += 4;
        return this.properties(depth);
      case 0x0a: {
        this.need(4);
        const count = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        if (count > MAX_ENTRIES) throw malformed('array too long');
        const items: Amf0Value[] = [];
        for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
        return items;
      }
      case 0x0b: {
        this.need(10);
        const ms = this.buf.readDoubleBE(this.pos);
        this.pos += 10;
        return new Date(ms);
      }
      case 0x0c: {
        this.need(4);
        const length = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        return this.utf8(length);
      }
      default:
        throw malformed(`unsupported type marker 0x${marker.toString(16)}`);
    }
  }
}

export interface Amf0Command {
  name: string;
  transactionId: number;
  /** The values after the command object (for publish: the stream name, then "live"). */
  args: Amf0Value[];
}

/** An AMF0 command message body: name, transaction id, command object, arguments. */
export function readAmf0Command(body: Buffer): Amf0Command {
  const reader = new Amf0Reader(body);
  const name = reader.value();
  if (typeof name !== 'string') throw malformed('the command name is not a string');
  const transactionId = reader.done ? 0 : reader.value();
  if (typeof transactionId !== 'number') throw malformed('the transaction id is not a number');
  const args: Amf0Value[] = [];
  if (!reader.done) reader.value(); // the command object (usually null)
  while (!reader.done && args.length < 8) args.push(reader.value());
  return { name, transactionId, args };
}
