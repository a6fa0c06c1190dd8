/**
 * Strict, hand-written validators for client frames. Every field is type-checked and bounded;
 * unknown fields are rejected (a v1 client sends exactly the v1 vocabulary), and a client may never
 * name the sender: `from` on a relay message is a spoofing attempt, not a harmless extra.
 * Hand-written rather than schema-driven because this runs for every frame on the relay hot path.
 */
import {
  BOUNDS, isMediaId, PROTOCOL_VERSION,
  type ClientMessage, type IceCandidateInit, type SignalErrorCode,
} from './protocol';

export class ProtocolViolation extends Error {
  constructor(readonly code: SignalErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

type Obj = Record<string, unknown>;

const ALLOWED_KEYS: Record<ClientMessage['type'], ReadonlySet<string>> = {
  join: new Set(['type', 'v', 'stream', 'rendition', 'role', 'token', 'have', 'upload']),
  offer: new Set(['type', 'to', 'offerId', 'sdp']),
  answer: new Set(['type', 'to', 'offerId', 'sdp']),
  ice: new Set(['type', 'to', 'offerId', 'candidate']),
  have: new Set(['type', 'sequences']),
  receipt: new Set(['type', 'sequence', 'from', 'bytes']),
  peers: new Set(['type', 'exclude']),
  leave: new Set(['type']),
  heartbeat: new Set(['type']),
  served: new Set(['type', 'sequence', 'to', 'bytes']),
  stats: new Set(['type', 'httpBytes', 'p2pBytes', 'uploadedBytes', 'stalls', 'peers', 'latencyMs']),
  report: new Set(['type', 'peer', 'sequence', 'reason']),
};

function bad(field: string, expectation: string): ProtocolViolation {
  return new ProtocolViolation('E_SIGNAL_BAD_FIELD', `${field} must be ${expectation}`);
}

function checkKeys(obj: Obj, type: ClientMessage['type']): void {
  const allowed = ALLOWED_KEYS[type];
  for (const key in obj) {
    if (allowed.has(key)) continue;
    if (key === 'from' || key === 'sender' || key === 'peer') {
      throw new ProtocolViolation('E_SIGNAL_SPOOFED_SENDER', `'${key}' is set by the server and may not be sent in '${type}'`);
    }
    throw bad(key, `absent from '${type}' (unknown field)`);
  }
}

function mediaId(obj: Obj, field: string): string {
  const value = obj[field];
  if (!isMediaId(value)) throw bad(field, 'an id of 1–64 characters from [A-Za-z0-9._~-] (not . or ..)');
  return value;
}

function peerId(obj: Obj, field: string): string {
  const value = obj[field];
  if (typeof value !== 'string' || !BOUNDS.peerId.test(value)) throw bad(field, 'a peer id (12 base64url characters)');
  return value;
}

function offerId(obj: Obj): string {
  const value = obj.offerId;
  if (typeof value !== 'string' || !BOUNDS.offerId.test(value)) throw bad('offerId', 'a string of 1–64 characters from [A-Za-z0-9_-]');
  return value;
}

function boundedString(obj: Obj, field: string, maxChars: number): string {
  const value = obj[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) {
    throw bad(field, `a non-empty string of at most ${maxChars} characters`);
  }
  return value;
}

function sequenceNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(field, 'a non-negative integer');
  return value;
}

function boundedInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw bad(field, `an integer from ${min} to ${max}`);
  return value;
}

function positiveBytes(value: unknown): number {
  return boundedInteger(value, 'bytes', 1, BOUNDS.maxCounter);
}

function sequenceList(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || value.length > BOUNDS.maxListItems) throw bad(field, `an array of at most ${BOUNDS.maxListItems} sequence numbers`);
  for (let i = 0; i < value.length; i++) sequenceNumber(value[i], `${field}[${i}]`);
  return value as number[];
}

function optionalNullableString(obj: Obj, field: string, maxChars: number): void {
  const value = obj[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length > maxChars) throw bad(`candidate.${field}`, `a string of at most ${maxChars} characters or null`);
}

function iceCandidate(value: unknown): IceCandidateInit | null {
  // null is the end-of-candidates marker.
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('candidate', 'an object or null');
  const obj = value as Obj;
  for (const key in obj) {
    if (key !== 'candidate' && key !== 'sdpMid' && key !== 'sdpMLineIndex' && key !== 'usernameFragment') {
      throw bad(`candidate.${key}`, 'absent (unknown field)');
    }
  }
  if (typeof obj.candidate !== 'string' || obj.candidate.length > BOUNDS.candidateMaxChars) {
    throw bad('candidate.candidate', `a string of at most ${BOUNDS.candidateMaxChars} characters`);
  }
  optionalNullableString(obj, 'sdpMid', BOUNDS.sdpMidMaxChars);
  optionalNullableString(obj, 'usernameFragment', BOUNDS.ufragMaxChars);
  const index = obj.sdpMLineIndex;
  if (index !== undefined && index !== null &&
      (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > BOUNDS.maxSdpMLineIndex)) {
    throw bad('candidate.sdpMLineIndex', `an integer 0–${BOUNDS.maxSdpMLineIndex} or null`);
  }
  return obj as unknown as IceCandidateInit;
}

/**
 * Parses and validates one text frame. Throws ProtocolViolation with the documented code.
 * The frame's byte size is bounded before this is called (ws maxPayload).
 */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolViolation('E_SIGNAL_BAD_JSON', 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolViolation('E_SIGNAL_BAD_MESSAGE', 'frame must be a JSON object');
  }
  const obj = value as Obj;
  const type = obj.type;
  if (typeof type !== 'string') throw new ProtocolViolation('E_SIGNAL_BAD_MESSAGE', "frame must have a string 'type'");
  if (!Object.prototype.hasOwnProperty.call(ALLOWED_KEYS, type)) {
    throw new ProtocolViolation('E_SIGNAL_UNKNOWN_TYPE', `unknown message type '${type.slice(0, 32)}'`);
  }
  const messageType = type as ClientMessage['type'];
  checkKeys(obj, messageType);

  switch (messageType) {
    case 'join': {
      if (obj.v !== PROTOCOL_VERSION) {
        throw new ProtocolViolation('E_SIGNAL_VERSION', `unsupported protocol version; this server speaks v=${PROTOCOL_VERSION}`);
      }
      mediaId(obj, 'stream');
      mediaId(obj, 'rendition');
      if (obj.role !== 'viewer' && obj.role !== 'supporter') throw bad('role', "'viewer' or 'supporter'");
      if (obj.role === 'supporter') boundedString(obj, 'token', BOUNDS.tokenMaxChars);
      else if (obj.token !== undefined) throw bad('token', "absent when role is 'viewer'");
      if (obj.have !== undefined) sequenceList(obj.have, 'have');
      if (obj.upload !== undefined && typeof obj.upload !== 'boolean') throw bad('upload', 'a boolean');
      break;
    }
    case 'offer':
    case 'answer':
      peerId(obj, 'to');
      offerId(obj);
      boundedString(obj, 'sdp', BOUNDS.sdpMaxChars);
      break;
    case 'ice':
      peerId(obj, 'to');
      offerId(obj);
      if (!('candidate' in obj)) throw bad('candidate', 'present (an object or null)');
      iceCandidate(obj.candidate);
      break;
    case 'have':
      sequenceList(obj.sequences, 'sequences');
      break;
    case 'receipt': {
      sequenceNumber(obj.sequence, 'sequence');
      peerId(obj, 'from');
      positiveBytes(obj.bytes);
      break;
    }
    case 'served':
      sequenceNumber(obj.sequence, 'sequence');
      peerId(obj, 'to');
      positiveBytes(obj.bytes);
      break;
    case 'stats':
      for (const field of ['httpBytes', 'p2pBytes', 'uploadedBytes'] as const) boundedInteger(obj[field], field, 0, BOUNDS.maxCounter);
      boundedInteger(obj.stalls, 'stalls', 0, BOUNDS.maxStalls);
      boundedInteger(obj.peers, 'peers', 0, BOUNDS.maxPeersReported);
      if (obj.latencyMs !== undefined) boundedInteger(obj.latencyMs, 'latencyMs', 0, BOUNDS.maxLatencyMs);
      break;
    case 'report':
      peerId(obj, 'peer');
      sequenceNumber(obj.sequence, 'sequence');
      if (typeof obj.reason !== 'string' || !BOUNDS.reportReasons.includes(obj.reason)) throw bad('reason', `one of ${BOUNDS.reportReasons.join(', ')}`);
      break;
    case 'peers':
      if (obj.exclude !== undefined) {
        if (!Array.isArray(obj.exclude) || obj.exclude.length > BOUNDS.maxListItems) {
          throw bad('exclude', `an array of at most ${BOUNDS.maxListItems} peer ids`);
        }
        for (let i = 0; i < obj.exclude.length; i++) {
          if (typeof obj.exclude[i] !== 'string' || !BOUNDS.peerId.test(obj.exclude[i])) throw bad(`exclude[${i}]`, 'a peer id');
        }
      }
      break;
    case 'leave':
    case 'heartbeat':
      break;
  }
  return obj as unknown as ClientMessage;
}
