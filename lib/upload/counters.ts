/** What the uploader did, for the cost view (R2 bills PUTs as Class A; DeleteObject is free). */
export interface UploadCounters {
  /** PUT requests sent, including failed attempts and retries (each is billed). */
  puts: number;
  /** DeleteObject requests that succeeded. */
  deletes: number;
  /** Bytes durably stored (successful PUTs only). */
  bytes: number;
  /** Objects stored (segments, init sections, files). */
  stored: number;
  /** Attempts that failed (timeouts, 5xx, 429, resets, verification mismatches …). */
  failedAttempts: number;
  /** Attempts made again after a retryable failure. */
  retries: number;
  /** Hedged twins started for attempts that ran late (each is one more PUT). */
  hedges: number;
  /** Uploads given up (after the retry budget, or at once when not retryable). */
  failures: number;
  /** Deletions that failed (tried again on the next sweep). */
  deleteFailures: number;
  /** Uploads currently being attempted or waiting for a slot or a retry. */
  inFlight: number;
  /** Uploads taken and not yet released (the backlog; bounded by maxQueuedJobs). */
  queued: number;
  /** Bytes those uploads hold in memory (bounded by maxQueuedBytes). */
  queuedBytes: number;
  /** Uploads refused because the backlog was full (E_UPLOAD_OVERLOADED): no PUT was made. */
  shed: number;
}

export function emptyCounters(): UploadCounters {
  return {
    puts: 0,
    deletes: 0,
    bytes: 0,
    stored: 0,
    failedAttempts: 0,
    retries: 0,
    hedges: 0,
    failures: 0,
    deleteFailures: 0,
    inFlight: 0,
    queued: 0,
    queuedBytes: 0,
    shed: 0,
  };
}
