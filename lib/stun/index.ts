/**
 * The built-in STUN Binding responder (RFC 8489) that relaycast-signaling runs so that viewers behind
 * NATs learn their public address from the operator's own server, not a third party's.
 */
export { acquireStun, type StunHandle } from './shared-stun';
export { StunServer, type StunServerOptions, type Family } from './stun-server';
export { StunResponder, type StunCounters } from './responder';
export { MAX_REQUEST_BYTES } from './message';
