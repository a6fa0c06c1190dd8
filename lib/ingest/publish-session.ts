/**
 * One publisher's connection through the gate. Its bytes are read by the sniffer before they are
 * relayed to ffmpeg; the chunk that carries `publish` goes on only when the stream key matches, so
 * a wrong key never reaches ffmpeg's publish handling, and no media is ever processed for it.
 * After a good publish the session is a plain relay with backpressure both ways.
 */
import type net from 'node:net';
import { RelaycastError } from '../errors';
import { RtmpPublishSniffer } from './rtmp-publish-sniffer';

/** From connect to a publish command: OBS takes well under a second. */
export const PUBLISH_DEADLINE_MS = 10_000;

export class PublishSession {
  private readonly sniffer = new RtmpPublishSniffer();
  private queue: Buffer[] = [];
  private upstream: net.Socket | undefined;
  private authorized = false;
  private finished = false;
  private settle!: { resolve: () => void; reject: (err: RelaycastError) => void };
  private readonly deadline: NodeJS.Timeout;
  /** Resolves on a publish with the right key; rejects (coded) on a refusal or a close before it. */
  readonly published: Promise<void>;
  /** Resolves once the publisher's connection is closed, whatever closed it. */
  readonly ended: Promise<void>;
  /** Bytes received from the publisher. */
  bytesIn = 0;

  constructor(
    private readonly client: net.Socket,
    keyMatches: (given: string) => boolean,
  ) {
    this.published = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // A refusal is also reported through the caller's await; this keeps it from going unhandled.
    this.published.catch(() => undefined);
    this.ended = new Promise((resolve) => client.once('close', () => resolve()));
    this.deadline = setTimeout(
      () => this.refuse(new RelaycastError('E_INGEST_TIMEOUT', `no publish command within ${PUBLISH_DEADLINE_MS / 1000} s`)),
      PUBLISH_DEADLINE_MS,
    );
    client.on('error', () => this.close());
    client.on('close', () => {
      clearTimeout(this.deadline);
      if (!this.authorized) this.refuse(new RelaycastError('E_INGEST_CLOSED', 'the publisher closed the connection before publishing'));
      this.upstream?.end();
    });
    client.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      this.bytesIn += chunk.length;
      if (!this.authorized) {
        let result;
        try {
          result = this.sniffer.feed(chunk);
        } catch (err) {
          this.refuse(err as RelaycastError);
          return;
        }
        if (result.kind === 'publish') {
          if (!keyMatches(result.streamName)) {
            this.refuse(new RelaycastError('E_INGEST_KEY', 'publish refused: wrong stream key'));
            return;
          }
          this.authorized = true;
          clearTimeout(this.deadline);
          this.settle.resolve();
        }
      }
      this.forward(chunk);
    });
  }

  get remote(): string {
    return this.client.remoteAddress ?? 'unknown';
  }

  /** Connects the relay to ffmpeg's socket: what was held goes first. */
  attach(upstream: net.Socket): void {
    if (this.finished) {
      upstream.destroy();
      return;
    }
    this.upstream = upstream;
    upstream.on('error', () => this.close());
    upstream.on('close', () => this.close());
    upstream.on('data', (chunk: Buffer) => {
      if (!this.client.write(chunk)) upstream.pause();
    });
    this.client.on('drain', () => upstream.resume());
    upstream.on('drain', () => this.client.resume());
    for (const chunk of this.queue) upstream.write(chunk);
    this.queue = [];
  }

  private forward(chunk: Buffer): void {
    if (!this.upstream) {
      // Bounded by the sniffer's limit until publish; after it the upstream is attached already.
      this.queue.push(chunk);
      return;
    }
    if (!this.upstream.write(chunk)) this.client.pause();
  }

  private refuse(err: RelaycastError): void {
    if (this.authorized || this.finished) return;
    this.settle.reject(err);
    this.close();
  }

  /** Ends both sides at once. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    if (!this.authorized) this.settle.reject(new RelaycastError('E_INGEST_CLOSED', 'the connection closed before a publish'));
    this.client.destroy();
    this.upstream?.destroy();
  }
}
