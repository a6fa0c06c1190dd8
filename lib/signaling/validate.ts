/**
 * The server's check of every client frame: the schemas of lib/protocol (one per message type,
 * strict, bounded), with a refusal thrown as a ProtocolViolation carrying the documented code.
 */
import { parseClientFrame, type ClientMessage } from '../protocol/signaling/client-messages';
import type { SignalErrorCode } from '../protocol/signaling/constants';

export class ProtocolViolation extends Error {
  constructor(
    readonly code: SignalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

/** Parses and validates one text frame. Throws ProtocolViolation with the documented code. */
export function parseClientMessage(text: string): ClientMessage {
  const parsed = parseClientFrame(text);
  if (!parsed.ok) throw new ProtocolViolation(parsed.code, parsed.message);
  return parsed.message;
}
