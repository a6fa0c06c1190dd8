/**
 * Every error Relaycast raises carries a stable `code`, so a flow's Catch node (Node-RED ≥ 4.1
 * copies `code` into msg.error) can branch on it, and tests can assert on it.
 */
export class RelaycastError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelaycastError';
    this.code = code;
  }
}

/** Turns anything thrown into an Error with a code, keeping the original as `cause`. */
export function toRelaycastError(err: unknown, fallbackCode = 'E_INTERNAL'): RelaycastError {
  if (err instanceof RelaycastError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : fallbackCode;
  return new RelaycastError(code, message, { cause: err });
}
