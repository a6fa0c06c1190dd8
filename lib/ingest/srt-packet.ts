/**
 * What the SRT gate reads of the packets it relays (SRT draft-sharabayko-srt, §3): only the header
 * of control packets and the handshake's type. Everything else (data, the key material, the
 * encryption) stays between the publisher and ffmpeg's libsrt, which does the passphrase check.
 *
 * The gate needs to know: a new caller's first handshake (an induction request), the listener's
 * answer to its conclusion (accepted, or rejected with a reason), and a caller's shutdown.
 */

/** SRT runs over UDP on an ordinary MTU: a larger datagram is no SRT packet. */
export const MAX_SRT_PACKET = 1500;
const HEADER = 16;
/** The handshake's type field: header (16) + version, flags, ISN, MTU, flow window (20). */
const HANDSHAKE_TYPE_AT = HEADER + 20;

const CONTROL_HANDSHAKE = 0x0000;
const CONTROL_SHUTDOWN = 0x0005;
const HANDSHAKE_INDUCTION = 1;
const HANDSHAKE_CONCLUSION = -1;
/** A listener's rejection: 1000 + the reason (SRT_REJ_*). */
const REJECTION_BASE = 1000;

/** libsrt's rejection reasons that mean the passphrase was wrong or missing. */
export const REJECT_BAD_SECRET = 10;
export const REJECT_UNSECURE = 11;

export type SrtPacket =
  { kind: 'induction' } | { kind: 'conclusion' } | { kind: 'rejected'; reason: number } | { kind: 'handshake' } | { kind: 'shutdown' } | { kind: 'other' };

export function readSrtPacket(packet: Buffer): SrtPacket {
  if (packet.length < HEADER || (packet[0]! & 0x80) === 0) return { kind: 'other' };
  const controlType = packet.readUInt16BE(0) & 0x7fff;
  if (controlType === CONTROL_SHUTDOWN) return { kind: 'shutdown' };
  if (controlType !== CONTROL_HANDSHAKE || packet.length < HANDSHAKE_TYPE_AT + 4) return { kind: 'other' };
  const type = packet.readInt32BE(HANDSHAKE_TYPE_AT);
  if (type === HANDSHAKE_INDUCTION) return { kind: 'induction' };
  if (type === HANDSHAKE_CONCLUSION) return { kind: 'conclusion' };
  if (type >= REJECTION_BASE) return { kind: 'rejected', reason: type - REJECTION_BASE };
  return { kind: 'handshake' };
}
