// The SRT gate's session against a stand-in listener on loopback UDP (no ffmpeg): it relays only
// handshakes until the listener accepts, learns acceptance or rejection from the listener's answer,
// and ends on the caller's shutdown.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { SrtSession } from '../../../lib/ingest/srt-session';
import { until } from '../../support/until';

const handshake = (type: number): Buffer => {
  const b = Buffer.alloc(64);
  b.writeUInt16BE(0x8000, 0);
  b.writeInt32BE(type, 36);
  return b;
};
/** A handshake's type, or undefined for any other packet. */
const typeOf = (p: Buffer): number | undefined => (p.length >= 40 && p[0]! & 0x80 ? p.readInt32BE(36) : undefined);
const data = (byte: number): Buffer => Buffer.alloc(100, byte & 0x7f);
const shutdown = (): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(0x8005, 0);
  return b;
};

async function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

describe('SRT gate session', () => {
  let gate: dgram.Socket;
  let caller: dgram.Socket;
  let listener: dgram.Socket;
  const toListener: Buffer[] = [];
  const toCaller: Buffer[] = [];
  let answer: (packet: Buffer, from: dgram.RemoteInfo) => void;

  beforeEach(async () => {
    toListener.length = 0;
    toCaller.length = 0;
    [gate, caller, listener] = [await bound(), await bound(), await bound()];
    caller.on('message', (p) => toCaller.push(p));
    listener.on('message', (p, from) => {
      toListener.push(p);
      answer(p, from);
    });
  });
  afterEach(() => {
    for (const s of [gate, caller, listener]) s.close();
  });

  const session = (): SrtSession => new SrtSession(gate, '127.0.0.1', caller.address().port);

  it('relays only handshakes until the listener accepts, then everything; ends on the caller’s shutdown', async () => {
    answer = (p, from) => {
      if (typeOf(p) === 1) listener.send(handshake(1), from.port, from.address);
      if (typeOf(p) === -1) listener.send(handshake(-1), from.port, from.address);
    };
    const s = session();
    s.fromPublisher(handshake(1)); // held until attached
    s.fromPublisher(data(1)); // media before acceptance: dropped
    await s.attach(listener.address().port);
    await until(() => toCaller.length === 1, 'the induction answer relayed to the caller');
    s.fromPublisher(handshake(-1));
    await s.published;
    s.fromPublisher(data(2));
    await until(() => toListener.some((p) => p[0] === 2), 'media relayed once accepted');
    assert.ok(!toListener.some((p) => p[0] === 1), 'media sent before acceptance never reached the listener');
    s.fromPublisher(shutdown());
    await s.ended;
    assert.equal(s.bytesIn, 64 + 100 + 64 + 100 + 16);
  });

  for (const [reason, message] of [
    [10, /wrong passphrase/],
    [11, /no passphrase/],
  ] as const)
    it(`a rejection ${1000 + reason} from the listener refuses the caller with E_INGEST_PASSPHRASE, relayed to it`, async () => {
      answer = (p, from) => {
        if (typeOf(p) === 1) listener.send(handshake(1), from.port, from.address);
        if (typeOf(p) === -1) listener.send(handshake(1000 + reason), from.port, from.address);
      };
      const s = session();
      await s.attach(listener.address().port);
      s.fromPublisher(handshake(1));
      s.fromPublisher(handshake(-1));
      await assert.rejects(s.published, { code: 'E_INGEST_PASSPHRASE', message });
      await s.ended;
      await until(() => toCaller.some((p) => typeOf(p) === 1000 + reason), 'the rejection relayed to the caller');
      s.fromPublisher(data(3));
      assert.ok(!toListener.some((p) => p[0] === 3), 'nothing relayed after the refusal');
    });

  it('another rejection reason is E_INGEST_PROTOCOL', async () => {
    answer = (_p, from) => listener.send(handshake(1003), from.port, from.address);
    const s = session();
    await s.attach(listener.address().port);
    s.fromPublisher(handshake(1));
    await assert.rejects(s.published, { code: 'E_INGEST_PROTOCOL' });
  });
});
