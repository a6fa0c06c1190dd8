/**
 * Keeps the node's status in step with the uploader without flooding the editor: at most one
 * update per interval, plus an immediate one for a failure. Blue dot while uploads are in flight
 * (with the backlog: uploads and MB waiting, so a store that falls behind shows before it sheds),
 * green dot with totals when idle, red ring with the code after a failure.
 */
import type { Node } from 'node-red';
import type { UploadCounters } from '../../lib/upload';

type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

export class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private failedCode: string | undefined;
  private closed = false;
  private lastFill: string | undefined;

  constructor(
    private readonly node: Node,
    private readonly translate: Translate,
    private readonly counters: () => UploadCounters,
    private readonly intervalMs = 250,
  ) {}

  /** Something changed; refresh soon. */
  changed(): void {
    if (this.closed) return;
    // Going busy shows at once (blue); everything else is throttled.
    if (this.counters().queued > 0 && this.lastFill !== 'blue' && !this.failedCode) {
      this.render();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, this.intervalMs);
  }

  succeeded(): void {
    this.failedCode = undefined;
    this.changed();
  }

  failed(code: string): void {
    this.failedCode = code;
    this.render();
  }

  render(): void {
    if (this.closed) return;
    const c = this.counters();
    this.lastFill = this.failedCode ? 'red' : c.queued > 0 ? 'blue' : 'green';
    if (this.failedCode) {
      this.node.status({ fill: 'red', shape: 'ring', text: this.translate('r2-upload.status.failed', { code: this.failedCode }) });
    } else if (c.queued > 0) {
      this.node.status({
        fill: 'blue',
        shape: 'dot',
        text: this.translate('r2-upload.status.uploading', { count: c.queued, mb: (c.queuedBytes / 1e6).toFixed(1) }),
      });
    } else {
      this.node.status({ fill: 'green', shape: 'dot', text: this.translate('r2-upload.status.stored', { count: c.stored, mb: (c.bytes / 1e6).toFixed(1) }) });
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.node.status({});
  }
}
