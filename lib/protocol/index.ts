/**
 * The one source of Relaycast's wire contracts, browser-safe (no Node built-ins, no Node-RED): the
 * signaling protocol in both directions (signaling/) and the viewer-to-viewer DataChannel frames
 * (peer-wire.ts). Server, peer engine, supporter and viewer import from here; the documents
 * docs/signaling-protocol.md and docs/peer-wire-protocol.md describe what these modules declare.
 */
export * from './signaling/constants';
export * from './signaling/fields';
export * from './signaling/client-messages';
export * from './signaling/server-messages';
export * from './peer-wire';
export * from './playlist-edits';
export * from './latency-mode';
export * from './rendition-url';
