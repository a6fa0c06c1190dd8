// r2-upload's status text, driven by the uploader's counters: the backlog shows while it builds.
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { emptyCounters, type UploadCounters } from '../../../lib/upload';
import { StatusReporter } from '../../../nodes/r2-upload/status-reporter';

describe('r2-upload status', () => {
  it('shows the backlog (uploads and MB waiting) while uploads are queued, and the totals once idle', () => {
    const shown: Array<{ fill?: string; text?: string }> = [];
    const node = { status: (s: { fill?: string; text?: string }) => shown.push(s) } as unknown as Node;
    const counters: UploadCounters = emptyCounters();
    const translate = (key: string, subs: Record<string, string | number> = {}) => `${key} ${JSON.stringify(subs)}`;
    const reporter = new StatusReporter(node, translate, () => counters);
    Object.assign(counters, { queued: 12, queuedBytes: 18_400_000, inFlight: 4 });
    reporter.render();
    assert.deepEqual(shown.at(-1), { fill: 'blue', shape: 'dot', text: 'r2-upload.status.uploading {"count":12,"mb":"18.4"}' });
    Object.assign(counters, { queued: 0, queuedBytes: 0, inFlight: 0, stored: 30, bytes: 45_000_000 });
    reporter.render();
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'r2-upload.status.stored {"count":30,"mb":"45.0"}' });
    reporter.close();
  });
});
