// The specs' free ports are the ingest's: one rule, in lib/net/free-port.ts.
export { freePort, freeUdpPort } from '../../lib/net/free-port';
