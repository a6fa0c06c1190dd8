// An independent STUN implementation (the @msimerson/stun package) to build requests and read
// answers with, so that the responder's specs do not check its wire format against itself.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

interface StunMessageApi {
  transactionId: Buffer;
  type: number;
  addFingerprint(): void;
  addAttribute(type: number, ...args: unknown[]): void;
  getXorAddress(): { family: string; address: string; port: number } | undefined;
  getError(): { code: number; reason: string } | undefined;
  getUnknownAttributes(): number[] | undefined;
  getFingerprint(): number | undefined;
  getSoftware(): string | undefined;
}
interface StunApi {
  createMessage(type: number, transaction?: Buffer): StunMessageApi;
  encode(message: StunMessageApi): Buffer;
  decode(bytes: Buffer): StunMessageApi;
  validateFingerprint(message: StunMessageApi): boolean;
  constants: Record<string, number>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const stun = require('@msimerson/stun') as StunApi;
/* eslint-disable @typescript-eslint/no-require-imports */
const binary = require('binary-data') as { decode(bytes: Buffer, shape: unknown): { attributes: Array<{ type: number }> } };
const { StunMessagePacket } = require('@msimerson/stun/src/lib/protocol') as { StunMessagePacket: unknown };
const attributes = require('@msimerson/stun/src/lib/attributes') as { parse(raw: unknown, owner: StunMessageApi): { value: unknown } };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The XOR-MAPPED-ADDRESS of an answer as the package reads it. Its decode() un-XORs attributes before
 * it has read the transaction id (package 3.2.1), which garbles IPv6 addresses (XORed with the cookie
 * and the transaction id); so the package's own attribute parser is run again once the decoded
 * message knows its transaction id.
 */
export function xorMappedAddress(datagram: Buffer): { family: string; address: string; port: number } | undefined {
  const owner = stun.decode(datagram);
  const raw = binary.decode(datagram, StunMessagePacket).attributes.find((a) => a.type === stun.constants.STUN_ATTR_XOR_MAPPED_ADDRESS);
  return raw === undefined ? undefined : (attributes.parse(raw, owner).value as { family: string; address: string; port: number });
}

/** A Binding request as a browser sends it (with FINGERPRINT unless told otherwise). */
export function bindingRequest(options: { fingerprint?: boolean; software?: boolean } = {}): { bytes: Buffer; transaction: Buffer } {
  const message = stun.createMessage(stun.constants.STUN_BINDING_REQUEST);
  if (options.fingerprint !== false) message.addFingerprint();
  return { bytes: stun.encode(message), transaction: message.transactionId };
}

/** A UDP client bound to a loopback address, collecting every datagram it receives. */
export class UdpClient {
  readonly received: Buffer[] = [];
  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (datagram) => this.received.push(datagram));
  }

  static open(address: string): Promise<UdpClient> {
    const socket = dgram.createSocket(address.includes(':') ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve(new UdpClient(socket)));
    });
  }

  get local(): AddressInfo {
    return this.socket.address();
  }

  send(bytes: Uint8Array, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));
  }

  /** The decoded answers received so far (the independent decoder's view). */
  answers(): StunMessageApi[] {
    return this.received.map((datagram) => stun.decode(datagram));
  }

  close(): void {
    this.socket.close();
  }
}
