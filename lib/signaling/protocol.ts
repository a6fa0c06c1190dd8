/**
 * The signaling server's view of the protocol. The protocol itself (messages, version, close and
 * error codes, bounds) is declared once in lib/protocol/ and re-exported here for the server's
 * modules; what stays here is the receipt msg the node emits on its output (not a wire message).
 */
export * from '../protocol/signaling/constants';
export * from '../protocol/signaling/fields';
export * from '../protocol/signaling/client-messages';
export * from '../protocol/signaling/server-messages';

// ---- msgs the node emits ------------------------------------------------------------------------

/** Output 2, one msg per credited receipt, the input of relaycast-payout: declared with its schema. */
export type { ReceiptParty, ReceiptPayload } from '../protocol/msgs';
