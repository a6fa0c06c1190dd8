/** The upload core behind relaycast-r2-upload and relaycast-r2-bucket (no Node-RED imports). */
export * from './backoff';
export * from './counters';
export * from './failure';
export * from './input';
export * from './keys';
export * from './object-store';
export * from './probe';
export * from './redact';
export * from './retention';
export * from './slots';
export * from './uploader';
export * from './bucket-settings';
