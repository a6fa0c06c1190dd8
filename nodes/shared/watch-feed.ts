/**
 * The hls-watch core as a node's output, for the two nodes that send segment msgs:
 * relaycast-hls-watch (on any encoder's folder) and relaycast-ingest (on its own output folder).
 * This is the one place that maps HlsWatcher's events onto Node-RED: each segment, gap or
 * lifecycle msg is sent as it comes (the sidebar's segment figures taken on the way), failures go
 * through node.error with a code, progress is kept per node under the userDir, and manifest's
 * receipts and resend requests arrive over the pipeline's bus. So both nodes send the same msgs
 * under the same exactly-once, restart and discontinuity rules.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { type RelaycastError, toRelaycastError } from '../../lib/errors';
import { StateFile } from '../../lib/fs/json-state-file';
import { MemoryStateStore, type StateStore } from '../../lib/hls-watch/state-store';
import { HlsWatcher, type HlsWatcherOptions, type WatcherStatus } from '../../lib/hls-watch/watcher';
import { watcherSettings } from '../../lib/hls-watch/watcher-options';
import type { SegmentInfo } from '../../lib/protocol/msgs';
import { asNodeMessage, errorMsg } from './node-types';
import { joinPipeline } from './pipeline-bus';
import { nodeRef, telemetryOf } from './telemetry';

export type { WatcherStatus } from '../../lib/hls-watch/watcher';

/** What the watcher follows; its saved progress and receipts are the feed's business. */
export type WatchFeedConfig = Omit<HlsWatcherOptions, 'stateStore' | 'receiptsExpected'> & {
  /** The relaycast-pipeline config node; empty: the flow tab's default pipeline. */
  pipeline?: string;
};

export interface WatchFeed {
  /** Starts watching (again); a no-op while running. */
  start(): Promise<void>;
  /** Stops watching; progress stays saved, so start() resumes where this stopped. */
  stop(): Promise<void>;
  /** Re-reads the folder now; false when stopped. */
  rescan(): Promise<boolean>;
  /** The node's close: stops, leaves the pipeline, and forgets the progress when the node was deleted. */
  close(removed: boolean): Promise<void>;
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

/**
 * Opens the feed of `node` without starting it. Throws E_CONFIG (a bad stream id, a pipeline that
 * is not deployed) before acquiring anything, so the node can refuse to start.
 * `send` puts a msg on the node's segment output; `onStatus` gets the watcher's state.
 */
export function openWatchFeed(
  RED: NodeAPI,
  node: Node,
  config: WatchFeedConfig,
  how: { type: string; send(msg: NodeMessage): void; onStatus(status: WatcherStatus): void },
): WatchFeed {
  watcherSettings(config);
  const pipeline = joinPipeline(RED, node, config.pipeline, 'E_CONFIG');
  // Manifest's receipts and resend requests (lib/pipeline/delivery-receipts.ts).
  const receipts = pipeline.bus.receipts;
  let watcher: HlsWatcher | null = null;
  const store = stateStoreFor(RED.settings.userDir, node.id, (err) => {
    if (watcher) watcher.stateUnwritable(err);
    else node.error(err, errorMsg(err));
  });
  const telemetry = telemetryOf(RED);
  const probe = telemetry.watch(nodeRef(node, how.type));
  let stopReceipts: (() => void) | undefined;

  const create = (): HlsWatcher =>
    new HlsWatcher(
      { ...config, stateStore: store, receiptsExpected: () => receipts.expected(config.stream) },
      {
        onMessage: (msg) => {
          const m = msg as { topic?: string; segment?: Pick<SegmentInfo, 'stream' | 'rendition' | 'duration' | 'byteLength' | 'redelivered' | 'variant'> };
          if (m.topic === 'segment' && m.segment && !m.segment.redelivered)
            probe.segment(m.segment.stream, m.segment.rendition, m.segment.duration, m.segment.byteLength, m.segment.variant?.resolution?.height);
          how.send(asNodeMessage(msg));
        },
        // With a msg (the gap, or one carrying the code) so a Catch node gets msg.error.code.
        onError: (err, msg) => node.error(err, msg ? asNodeMessage(msg) : errorMsg(err)),
        onStatus: how.onStatus,
      },
    );

  const stop = async (): Promise<void> => {
    const current = watcher;
    watcher = null;
    stopReceipts?.();
    stopReceipts = undefined;
    await current?.close();
  };

  return {
    start: async () => {
      if (watcher) return;
      const current = create();
      watcher = current;
      // What manifest confirmed is not delivered again after a restart or redeploy.
      const stopConfirms = receipts.subscribe(config.stream, (rendition, session, sequence) => current.confirm(rendition, session, sequence));
      // A partial deploy restarted manifest or r2-upload alone: what they missed goes out again.
      const stopResends = receipts.onResend(config.stream, (request) => current.resendUnconfirmed(request));
      stopReceipts = () => {
        stopConfirms();
        stopResends();
      };
      await current.start();
    },
    stop,
    rescan: async () => {
      if (!watcher) return false;
      await watcher.rescan();
      return true;
    },
    close: async (removed) => {
      telemetry.remove(node.id, probe);
      await stop();
      pipeline.release();
      // Deleted from the flow (not just redeployed): its progress means nothing any more.
      if (removed) {
        await store.remove();
        memoryStores.delete(node.id);
      }
    },
  };
}
