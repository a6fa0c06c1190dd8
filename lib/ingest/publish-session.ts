/**
 * One publisher's connection through the gate. Its bytes are read by the sniffer before they are
 * relayed to ffmpeg; the chunk that carries `publish` goes on only when the stream key matches, so
 * a wrong key never reaches ffmpeg's publish handling, and no media is ever processed for it.
 * After a good publish the session is a plain relay with backpressure both ways.
 */
import type net from 'node:net';
import { RelaycastError } from '../errors';
import { PublishVerdict } from './publish-verdict';
import { RtmpPublishSniffer } from './rtmp-publish-sniffer';

export class PublishSession {
  private readonly sniffer = new RtmpPublishSniffer();
  private queue: Buffer[] = [];
  private upstream: net.Socket | undefined;
  private finished = false;
  private readonly verdict = new PublishVerdict('publish command', () => this.close());
  /** Resolves on a publish with the right key; rejects (coded) on a refusal or a close before it. */
  readonly published = this.verdict.published;
  /** Resolves once the publisher's connection is closed, whatever closed it. */
  readonly ended: Promise<void>;
  /** Bytes received from the publisher. */
  bytesIn = 0;

  constructor(
    private readonly client: net.Socket,
    keyMatches: (given: string) => boolean,
  ) {
    this.ended = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('error', () => this.close());
    client.on('close', () => {
      this.verdict.closed('the publisher closed the connection before publishing');
      this.upstream?.end();
    });
    client.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      this.bytesIn += chunk.length;
      if (!this.verdict.accepted) {
        let result;
        try {
          result = this.sniffer.feed(chunk);
        } catch (err) {
          this.verdict.refuse(err as RelaycastError);
          return;
        }
        if (result.kind === 'publish') {
          if (!keyMatches(result.streamName)) {
            this.verdict.refuse(new RelaycastError('E_INGEST_KEY', 'publish refused: wrong stream key'));
            return;
          }
          this.verdict.accept();
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

  /** Ends both sides at once. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.verdict.closed('the connection closed before a publish');
    this.client.destroy();
    this.upstream?.destroy();
  }
}
