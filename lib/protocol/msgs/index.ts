/**
 * The msgs between nodes, one schema each (Valibot): static types and runtime checks from one
 * declaration. Natural wiring: hls-watch → r2-upload → manifest → signaling → payout.
 * Browser-safe: no Node built-ins.
 */
export * from './ids';
export * from './fields';
export * from './segment';
export * from './part';
export * from './playlist';
export * from './file';
export * from './receipt';
export * from './stats';
export * from './parse';
