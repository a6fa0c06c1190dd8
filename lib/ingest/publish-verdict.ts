/**
 * Whether a publisher is let through, decided once: accepted (right key or passphrase), refused
 * (coded), or given up when its connection closes first. RTMP's and SRT's sessions share it, so the
 * deadline, the one-time decision and the refusal of a connection that went away are the same.
 */
import { RelaycastError } from '../errors';

/** From connect to a publish (RTMP) or an accepted handshake (SRT): OBS takes well under a second. */
export const PUBLISH_DEADLINE_MS = 10_000;

export class PublishVerdict {
  /** Resolves on acceptance; rejects (coded) on a refusal or a close before it. */
  readonly published: Promise<void>;
  private settle!: { resolve: () => void; reject: (err: RelaycastError) => void };
  private readonly deadline: NodeJS.Timeout;
  private state: 'pending' | 'accepted' | 'refused' = 'pending';

  /** `onRefused` closes the session: called once, on a refusal or the deadline. */
  constructor(
    what: string,
    private readonly onRefused: () => void,
  ) {
    this.published = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // A refusal is also reported through the caller's await; this keeps it from going unhandled.
    this.published.catch(() => undefined);
    this.deadline = setTimeout(
      () => this.refuse(new RelaycastError('E_INGEST_TIMEOUT', `no ${what} within ${PUBLISH_DEADLINE_MS / 1000} s`)),
      PUBLISH_DEADLINE_MS,
    );
  }

  get accepted(): boolean {
    return this.state === 'accepted';
  }

  accept(): void {
    if (this.state !== 'pending') return;
    this.state = 'accepted';
    clearTimeout(this.deadline);
    this.settle.resolve();
  }

  refuse(err: RelaycastError): void {
    if (this.state !== 'pending') return;
    this.state = 'refused';
    clearTimeout(this.deadline);
    this.settle.reject(err);
    this.onRefused();
  }

  /** The connection closed: undecided, it counts as gone (E_INGEST_CLOSED, not audited). */
  closed(message: string): void {
    clearTimeout(this.deadline);
    if (this.state !== 'pending') return;
    this.state = 'refused';
    this.settle.reject(new RelaycastError('E_INGEST_CLOSED', message));
  }
}
