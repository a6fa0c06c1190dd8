/**
 * The signaling core behind relaycast-signaling (no Node-RED imports): what its shell maps config,
 * settings hooks, msgs and the shared Redis onto. The protocol is docs/signaling-protocol.md.
 */
export { SignalingServer, type SignalingServerOptions, type VerifyClient } from './server';
export { SignalingCoordinator, type CoordinatorOptions } from './coordinator';
export { parseTrustedProxies, type TrustedProxies } from './client-address';
export { iceServerProvider, ICE_MODES, type IceMode, type IcePeer, type IceServerProvider } from './ice-servers';
export { stunHost, type BuiltInStun } from './built-in-stun';
export { supporterVerifier, type SupporterVerifier } from './supporters';
export { sharedSwarmRegistry, RedisSwarmRegistry } from './redis-registry';
export { DEFAULT_LIMITS, type SignalingLimits } from './limits';
export type { IceServer } from './protocol';
