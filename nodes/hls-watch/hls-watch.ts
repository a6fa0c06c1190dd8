/**
 * relaycast-hls-watch: the source node of a Relaycast flow. Maps its config onto lib/hls-watch's
 * HlsWatcher and forwards what it emits: one msg per finished segment, gap and lifecycle msgs,
 * errors through node.error(err, msg) so Catch nodes see `code`. Input msgs only control it
 * (topic start / stop / rescan). Per-rendition progress is kept in a JSON file under the userDir,
 * so a redeploy or restart resumes exactly where it stopped.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { MemoryStateStore, type StateStore } from '../../lib/hls-watch/state-store';
import type { SegmentInfo } from '../../lib/protocol/msgs';
import { StateFile } from '../../lib/fs/json-state-file';
import { HlsWatcher, type WatcherStatus } from '../../lib/hls-watch/watcher';
import { configNumber } from '../../lib/config/config-number';
import { onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { asNodeMessage, errorMsg } from '../shared/node-types';
import { joinPipeline, type PipelineLease } from '../shared/pipeline-bus';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import { HLS_WATCH_NUMBERS } from './number-fields';

interface HlsWatchDef extends NodeDef {
  path: string;
  stream: string;
  renditions: string;
  usePolling: boolean;
  pollInterval: number | string;
  maxSegmentMB: number | string;
  segmentWait: number | string;
  /** The relaycast-pipeline config node; empty: the flow tab's default pipeline. */
  pipeline?: string;
}

/** Without a userDir (embedded runtimes, tests) progress survives redeploys only, in this map. */
const memoryStores = new Map<string, MemoryStateStore>();

function stateStoreFor(userDir: string | undefined, nodeId: string, onError: (err: RelaycastError) => void): StateStore {
  if (userDir)
    return StateFile.forNode(userDir, 'hls-watch', nodeId, {
      code: 'E_WATCH_STATE',
      what: 'hls-watch progress',
      onError: (err) => onError(toRelaycastError(err, 'E_WATCH_STATE_WRITE')),
    });
  let store = memoryStores.get(nodeId);
  if (!store) memoryStores.set(nodeId, (store = new MemoryStateStore()));
  return store;
}

export = function (RED: NodeAPI) {
  function HlsWatchNode(this: Node, config: HlsWatchDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const userDir = RED.settings.userDir;
    let watcher: HlsWatcher | null = null;
    const store = stateStoreFor(userDir, node.id, (err) => {
      if (watcher) watcher.stateUnwritable(err);
      else node.error(err, errorMsg(err));
    });
    const telemetry = telemetryOf(RED);
    const probe = telemetry.watch(nodeRef(node, 'relaycast-hls-watch'));

    const showStatus = (status: WatcherStatus): void => {
      switch (status.state) {
        case 'watching':
          node.status({ fill: 'green', shape: 'dot', text: RED._('hls-watch.status.watching', { segments: status.segments, renditions: status.renditions }) });
          break;
        case 'waiting':
          node.status({ fill: 'yellow', shape: 'ring', text: RED._('hls-watch.status.waiting') });
          break;
        case 'error':
          node.status({ fill: 'red', shape: 'ring', text: status.code ?? RED._('hls-watch.status.error') });
          break;
        default:
          node.status({ fill: 'grey', shape: 'ring', text: RED._('hls-watch.status.stopped') });
      }
    };

    // Checked once, at deploy (lib/config/config-number.ts): a bad number stops the node with E_CONFIG.
    let numbers: { pollInterval: number; maxSegmentBytes: number; segmentWaitMs: number } | undefined;
    let configError: RelaycastError | undefined;
    try {
      numbers = {
        pollInterval: configNumber(config.pollInterval, { ...HLS_WATCH_NUMBERS.pollInterval, code: 'E_CONFIG' }),
        maxSegmentBytes: Math.round(configNumber(config.maxSegmentMB, { ...HLS_WATCH_NUMBERS.maxSegmentMB, code: 'E_CONFIG' }) * 1024 * 1024),
        segmentWaitMs: configNumber(config.segmentWait, { ...HLS_WATCH_NUMBERS.segmentWait, code: 'E_CONFIG' }),
      };
    } catch (err) {
      configError = toRelaycastError(err, 'E_CONFIG');
    }
    if (!configError && (!config.path || !config.stream)) configError = new RelaycastError('E_CONFIG', RED._('hls-watch.errors.config'));
    // Manifest's receipts and resend requests come over the pipeline's bus (lib/pipeline/delivery-receipts.ts).
    let pipeline: PipelineLease | undefined;
    try {
      pipeline = joinPipeline(RED, node, config.pipeline, 'E_CONFIG');
    } catch (err) {
      configError ??= toRelaycastError(err, 'E_CONFIG');
    }
    const receipts = pipeline?.bus.receipts;

    const create = (): HlsWatcher =>
      new HlsWatcher(
        {
          path: config.path,
          stream: config.stream,
          renditions: config.renditions && config.renditions.trim() !== 'all' ? config.renditions.split(',') : [],
          usePolling: config.usePolling === true,
          ...numbers!,
          stateStore: store,
          receiptsExpected: () => receipts!.expected(config.stream),
        },
        {
          onMessage: (msg) => {
            const m = msg as { topic?: string; segment?: Pick<SegmentInfo, 'stream' | 'rendition' | 'duration' | 'byteLength' | 'redelivered' | 'variant'> };
            if (m.topic === 'segment' && m.segment && !m.segment.redelivered)
              probe.segment(m.segment.stream, m.segment.rendition, m.segment.duration, m.segment.byteLength, m.segment.variant?.resolution?.height);
            node.send(asNodeMessage(msg));
          },
          // With a msg (the gap, or one carrying the code) so a Catch node gets msg.error.code.
          onError: (err, msg) => node.error(err, msg ? asNodeMessage(msg) : errorMsg(err)),
          onStatus: showStatus,
        },
      );

    // Manifest's receipts: what it confirmed is not delivered again after a restart or redeploy;
    // its and r2-upload's resend requests after a partial deploy.
    let stopReceipts: (() => void) | undefined;
    const start = async (): Promise<void> => {
      if (watcher) return;
      const current = create();
      watcher = current;
      const stopConfirms = receipts!.subscribe(config.stream, (rendition, session, sequence) => current.confirm(rendition, session, sequence));
      // A partial deploy restarted manifest or r2-upload alone: what they missed goes out again.
      const stopResends = receipts!.onResend(config.stream, (request) => current.resendUnconfirmed(request));
      stopReceipts = () => {
        stopConfirms();
        stopResends();
      };
      await current.start();
    };

    const stop = async (): Promise<void> => {
      const current = watcher;
      watcher = null;
      stopReceipts?.();
      stopReceipts = undefined;
      await current?.close();
    };

    // Checked once, at deploy: a node with a bad config refuses every msg, start included.
    if (configError) refuseToStart(node, configError, { code: 'E_CONFIG' });
    else {
      start().catch((err: unknown) => node.error(err, errorMsg({ code: 'E_INTERNAL', message: String(err) })));
      onInputAsync(node, async (msg) => {
        switch (msg.topic) {
          case 'start':
            await start();
            return;
          case 'stop':
            await stop();
            showStatus({ state: 'stopped', segments: 0, renditions: 0 });
            return;
          case 'rescan':
            if (!watcher) throw new RelaycastError('E_STOPPED', RED._('hls-watch.errors.stopped'));
            await watcher.rescan();
            return;
          default:
            throw new RelaycastError('E_BAD_COMMAND', RED._('hls-watch.errors.command', { topic: String(msg.topic) }));
        }
      });
    }

    onCloseAsync(node, async (removed) => {
      telemetry.remove(node.id, probe);
      await stop();
      pipeline?.release();
      // Deleted from the flow (not just redeployed): its progress means nothing any more.
      if (removed) {
        await store.remove();
        memoryStores.delete(node.id);
      }
      node.status({});
    });
  }

  RED.nodes.registerType('relaycast-hls-watch', HlsWatchNode);
};
