/**
 * relaycast-r2-upload: publishes segments (and any file msg with a key) to the bucket of a
 * relaycast-r2-bucket config node, and passes each msg on with its public URL only once the object
 * is durably stored, in input order per rendition. All the logic is in lib/upload (Uploader); this
 * shell maps config and msgs onto it.
 */
import type { Node, NodeDef } from 'node-red';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { emptyCounters, parseUploadInput, Uploader } from '../../lib/upload';
import { configNumber } from '../../lib/config/config-number';
import { StateFile } from '../../lib/fs/json-state-file';
import { onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import type { RelaycastRED } from '../shared/node-types';
import { joinPipeline, type PipelineLease } from '../shared/pipeline-bus';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import type { R2BucketConfigNode } from '../r2-bucket/bucket-api';
import { outputFor } from './output';
import { R2_UPLOAD_NUMBERS } from './number-fields';
import { StatusReporter } from './status-reporter';

interface R2UploadDef extends NodeDef {
  bucket: string;
  concurrency?: number | string;
  maxAttempts?: number | string;
  attemptTimeout?: number | string;
  segmentCacheControl?: string;
  objectCacheControl?: string;
  verifyEtag?: boolean;
  deadlineAware?: boolean;
  maxQueue?: number | string;
  maxQueueMB?: number | string;
  keepAll?: boolean;
  keepSegments?: number | string;
  /** The relaycast-pipeline config node; empty: the flow tab's default pipeline. */
  pipeline?: string;
}

const CODE = 'E_UPLOAD_CONFIG';

/** How often due deletions are looked for (cheap: an in-memory scan, no request unless one is due). */
const SWEEP_INTERVAL_MS = 1000;

export = function (RED: RelaycastRED<{ nodeCloseTimeout?: unknown }>) {
  function R2UploadNode(this: Node, config: R2UploadDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const bucketNode = RED.nodes.getNode(config.bucket) as R2BucketConfigNode | null;
    const redact = (text: string): string => (bucketNode ? bucketNode.redact(text) : text);
    let uploader: Uploader | undefined;
    const status = new StatusReporter(
      node,
      (key, subs) => RED._(key, subs),
      () => uploader?.counters ?? emptyCounters(),
    );
    const telemetry = telemetryOf(RED);
    const probe = telemetry.upload(nodeRef(node, 'relaycast-r2-upload'), () => uploader?.counters ?? emptyCounters());

    // The index of what this node stored, kept across redeploys and restarts so cleanup goes on.
    const userDir = RED.settings.userDir;
    const retentionFile = userDir
      ? StateFile.forNode(userDir, 'r2-upload', node.id, { code: 'E_UPLOAD_STATE', what: 'the r2-upload index', onError: (err) => node.warn(err.message) })
      : undefined;

    let pipeline: PipelineLease | undefined;
    try {
      // Before the bucket: a node that stops here holds no S3 client.
      pipeline = joinPipeline(RED, node, config.pipeline, CODE);
      if (!bucketNode) throw new RelaycastError('E_UPLOAD_CONFIG', RED._('r2-upload.errors.no-bucket'));
      const store = bucketNode.register(node);
      const settings = bucketNode.settings!;
      uploader = new Uploader({
        store,
        publicBaseUrl: settings.publicBaseUrl,
        keyPrefix: settings.keyPrefix,
        concurrency: configNumber(config.concurrency, { ...R2_UPLOAD_NUMBERS.concurrency, code: CODE }),
        maxAttempts: configNumber(config.maxAttempts, { ...R2_UPLOAD_NUMBERS.maxAttempts, code: CODE }),
        attemptTimeoutMs: configNumber(config.attemptTimeout, { ...R2_UPLOAD_NUMBERS.attemptTimeout, code: CODE }) * 1000,
        segmentCacheControl: config.segmentCacheControl || undefined,
        objectCacheControl: config.objectCacheControl || undefined,
        // Absent in flows saved before the option existed: keep checking, as they did.
        verifyEtag: config.verifyEtag !== false,
        // On unless turned off: a stalled PUT must not hold its rendition for the whole timeout.
        deadlineAware: config.deadlineAware !== false,
        maxQueuedJobs: configNumber(config.maxQueue, { ...R2_UPLOAD_NUMBERS.maxQueue, code: CODE }),
        maxQueuedBytes: configNumber(config.maxQueueMB, { ...R2_UPLOAD_NUMBERS.maxQueueMB, code: CODE }) * 1024 * 1024,
        retentionState: retentionFile ? { load: () => retentionFile.load(), save: (value) => retentionFile.save(value) } : undefined,
        retention: {
          // Never delete what a manifest of this pipeline still lists, whatever Keep says.
          listings: pipeline.bus.listings,
          keepAll: config.keepAll === true,
          keepSegments: configNumber(config.keepSegments, { ...R2_UPLOAD_NUMBERS.keepSegments, code: CODE }),
        },
        redact,
        reportError: (err) => node.error(err),
        warnUnguardedCleanup: (message) => node.warn(message),
      });
      // Restarted alone (a partial deploy), it missed what hls-watch sent meanwhile: sent again.
      pipeline.bus.receipts.restarted(undefined);
      status.render();
    } catch (err) {
      const error = toRelaycastError(err, CODE);
      // The reason may quote the bucket's settings: its credentials are scrubbed before anyone sees it.
      const refused = new RelaycastError(error.code, redact(error.message));
      refuseToStart(node, refused, { code: CODE, status: RED._('r2-upload.status.failed', { code: refused.code }), log: refused.message });
    }

    const sweepTimer = setInterval(() => {
      // A failed sweep is retried on the next tick; it is reported, never left unhandled.
      uploader?.sweep().then(
        () => {
          status.changed();
          probe.refreshHeld();
        },
        (err: unknown) => node.error(toRelaycastError(err, 'E_UPLOAD_INTERNAL')),
      );
    }, SWEEP_INTERVAL_MS);
    sweepTimer.unref?.();

    // Without an uploader, refuseToStart already answers every msg.
    if (uploader) uploadOnInput(uploader);
    function uploadOnInput(running: Uploader): void {
      onInputAsync(
        node,
        async (msg, send) => {
          const job = parseUploadInput(msg);
          const stream = streamOf(msg);
          const bodyBytes = job.kind === 'pass' ? 0 : job.body.length;
          const initBytes = job.kind === 'segment' && job.init ? job.init.bytes.length : 0;
          const pending = running.submit(
            job,
            (result) => {
              // Called in rendition order: sending here is what keeps the output ordered.
              const out = outputFor(msg, result);
              if (out) send(out);
              if (stream !== undefined && result.status !== 'passed') {
                const puts = result.report.attempts + (result.report.initUploaded ? 1 : 0);
                probe.released(stream, {
                  attempts: puts,
                  retries: result.report.retries,
                  failed: result.status === 'failed',
                  bytes: result.status === 'stored' ? bodyBytes + (result.report.initUploaded ? initBytes : 0) : 0,
                });
              }
              if (result.status === 'failed') status.failed(result.error.code);
              else status.succeeded();
            },
            () => {
              // Shed: only a gap leaves for it, so its bytes need not wait in memory for their turn.
              msg.payload = undefined;
              const init = msg.init as { bytes?: unknown } | undefined;
              if (init && typeof init === 'object') init.bytes = undefined;
            },
          );
          status.changed(); // after submit, so the upload already counts as in flight
          const outcome = await pending;
          if (outcome.status === 'failed') throw outcome.error;
        },
        (err) => status.failed(err.code),
      );
    }

    onCloseAsync(node, async (removed) => {
      clearInterval(sweepTimer);
      telemetry.remove(node.id, probe);
      // Leave a margin inside Node-RED's own close timeout (15 s unless configured).
      let nodeCloseTimeout = 15_000;
      try {
        nodeCloseTimeout = configNumber(RED.settings.nodeCloseTimeout, { field: 'nodeCloseTimeout', code: CODE, fallback: 15_000, min: 1, max: 3_600_000 });
      } catch {
        /* a setting, not this node's field: keep Node-RED's default */
      }
      try {
        await uploader?.close(Math.max(1000, nodeCloseTimeout - 3000));
      } finally {
        bucketNode?.deregister(node);
        pipeline?.release();
        status.close();
      }
      // Deleted from the flow: nothing will read its index again (the bucket's lifecycle rule cleans up).
      if (removed) await retentionFile?.remove();
      else await retentionFile?.flush();
    });
  }

  /** The stream a msg belongs to (segment, gap or playlist msg), for the telemetry of its stream. */
  function streamOf(msg: Record<string, unknown>): string | undefined {
    const holder = (msg.segment ?? msg.part ?? msg.playlist) as { stream?: unknown } | undefined;
    return holder && typeof holder.stream === 'string' ? holder.stream : undefined;
  }

  RED.nodes.registerType('relaycast-r2-upload', R2UploadNode);
};
