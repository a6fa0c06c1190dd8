/**
 * relaycast-hls-watch: the source node of a Relaycast flow. Maps its config onto lib/hls-watch's
 * HlsWatcher and forwards what it emits: one msg per finished segment, gap and lifecycle msgs,
 * errors through node.error(err, msg) so Catch nodes see `code`. Input msgs only control it
 * (topic start / stop / rescan). The mapping from watcher to msgs, the saved progress and the
 * pipeline's receipts are nodes/shared/watch-feed.ts, which relaycast-ingest runs too.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { configNumber } from '../../lib/config/config-number';
import { onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { errorMsg } from '../shared/node-types';
import { openWatchFeed, type WatchFeed, type WatcherStatus } from '../shared/watch-feed';
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

export = function (RED: NodeAPI) {
  function HlsWatchNode(this: Node, config: HlsWatchDef) {
    RED.nodes.createNode(this, config);
    const node = this;

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

    // Checked once, at deploy (lib/config/config-number.ts): a bad number, no path or stream, a bad
    // stream id or an undeployed pipeline stops the node with E_CONFIG.
    let feed: WatchFeed | undefined;
    try {
      if (!config.path || !config.stream) throw new RelaycastError('E_CONFIG', RED._('hls-watch.errors.config'));
      const numbers = {
        pollInterval: configNumber(config.pollInterval, { ...HLS_WATCH_NUMBERS.pollInterval, code: 'E_CONFIG' }),
        maxSegmentBytes: Math.round(configNumber(config.maxSegmentMB, { ...HLS_WATCH_NUMBERS.maxSegmentMB, code: 'E_CONFIG' }) * 1024 * 1024),
        segmentWaitMs: configNumber(config.segmentWait, { ...HLS_WATCH_NUMBERS.segmentWait, code: 'E_CONFIG' }),
      };
      feed = openWatchFeed(
        RED,
        node,
        {
          path: config.path,
          stream: config.stream,
          renditions: config.renditions && config.renditions.trim() !== 'all' ? config.renditions.split(',') : [],
          usePolling: config.usePolling === true,
          ...numbers,
          pipeline: config.pipeline,
        },
        { type: 'relaycast-hls-watch', send: (msg) => node.send(msg), onStatus: showStatus },
      );
    } catch (err) {
      refuseToStart(node, toRelaycastError(err, 'E_CONFIG'), { code: 'E_CONFIG' });
    }

    if (feed) {
      const running = feed;
      running.start().catch((err: unknown) => node.error(err, errorMsg({ code: 'E_INTERNAL', message: String(err) })));
      onInputAsync(node, async (msg) => {
        switch (msg.topic) {
          case 'start':
            await running.start();
            return;
          case 'stop':
            await running.stop();
            showStatus({ state: 'stopped', segments: 0, renditions: 0 });
            return;
          case 'rescan':
            if (!(await running.rescan())) throw new RelaycastError('E_STOPPED', RED._('hls-watch.errors.stopped'));
            return;
          default:
            throw new RelaycastError('E_BAD_COMMAND', RED._('hls-watch.errors.command', { topic: String(msg.topic) }));
        }
      });
    }

    onCloseAsync(node, async (removed) => {
      await feed?.close(removed);
      node.status({});
    });
  }

  RED.nodes.registerType('relaycast-hls-watch', HlsWatchNode);
};
