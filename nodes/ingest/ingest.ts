/**
 * relaycast-ingest: OBS (or any RTMP or SRT publisher) streams straight into Node-RED. Maps its config onto
 * lib/ingest's IngestServer, which writes live HLS into a folder, and runs the hls-watch core on
 * that folder (nodes/shared/watch-feed.ts, as relaycast-hls-watch does), so output 1 sends the very
 * segment, gap and lifecycle msgs hls-watch would, under its rules (finished segments, restarts,
 * exactly-once delivery). Without a stream id (flows saved before it existed) the folder is left
 * to a separate hls-watch node, as those flows have, and output 1 stays silent.
 * Output 2: one msg per publish event (publishing, ended, refused). Refusals and ffmpeg failures go
 * through node.error with a code, so a Catch node can audit them. The stream key and the SRT
 * passphrase live in the node's credentials and are never put in a msg, a status or a log line.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { configNumber } from '../../lib/config/config-number';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { IngestServer, type IngestStatus } from '../../lib/ingest/ingest-server';
import { DEFAULT_LADDER, parseLadder } from '../../lib/ingest/ladder';
import { checkSrtPassphrase } from '../../lib/ingest/srt-passphrase';
import { checkStreamKey } from '../../lib/ingest/stream-key';
import { onCloseAsync, refuseToStart } from '../shared/node-runtime';
import { registerNodeType } from '../shared/node-types';
import { openWatchFeed, type WatchFeed } from '../shared/watch-feed';
import { INGEST_NUMBERS } from './number-fields';

interface IngestDef extends NodeDef {
  path: string;
  bind: string;
  port: number | string;
  mode: 'copy' | 'ladder';
  ladder: string;
  segmentSeconds: number | string;
  listSize: number | string;
  ffmpegPath: string;
  /** Also accept SRT (listener mode, with the passphrase in credentials). */
  srt?: boolean;
  srtPort?: number | string;
  srtLatency?: number | string;
  /** The stream id of the segment msgs on output 1; empty: no segment msgs (a separate hls-watch reads the folder). */
  stream?: string;
  /** The relaycast-pipeline config node; empty: the flow tab's default pipeline. */
  pipeline?: string;
}

type IngestNode = Node<{ streamKey?: string; srtPassphrase?: string }>;

export = function (RED: NodeAPI) {
  function IngestNodeCtor(this: IngestNode, config: IngestDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    let server: IngestServer | undefined;
    let lastRefusal = '';
    /** ffmpeg died under the last publish: said while waiting, until a publish is live again. */
    let ffmpegFailed = false;
    let lastStatus: IngestStatus = { state: 'starting' };
    /** The code of the segment feed's newest unresolved problem (E_SEGMENT_GAP…), said beside the publish state. */
    let feedProblem: string | undefined;

    const showStatus = (status: IngestStatus): void => {
      lastStatus = status;
      const withFeed = (shown: { fill: 'red' | 'yellow' | 'green' | 'grey'; shape: 'ring' | 'dot'; text: string }) =>
        node.status(feedProblem ? { fill: 'red', shape: shown.shape, text: `${shown.text} · ${feedProblem}` } : shown);
      switch (status.state) {
        case 'listening':
          withFeed({
            fill: ffmpegFailed ? 'red' : 'yellow',
            shape: 'ring',
            text:
              RED._('ingest.status.listening', { port: server?.port ?? config.port }) +
              (server?.srtPort !== undefined ? ` · ${RED._('ingest.status.srt', { port: server.srtPort })}` : '') +
              (ffmpegFailed ? ` · ${RED._('ingest.status.failed')}` : '') +
              (lastRefusal ? ` · ${RED._('ingest.status.refused', { code: lastRefusal })}` : ''),
          });
          break;
        case 'publishing': {
          const parts = [RED._('ingest.status.live')];
          if (status.kbps !== undefined) parts.push(`${(status.kbps / 1000).toFixed(1)} Mb/s`);
          if (status.fps !== undefined) parts.push(`${Math.round(status.fps)} fps`);
          // ffmpeg slower than the media: the stream falls behind live (a ladder too heavy for this CPU).
          const behind = status.speed !== undefined && status.speed > 0 && status.speed < 0.9;
          if (behind) parts.push(RED._('ingest.status.behind', { speed: status.speed!.toFixed(2) }));
          // Copy mode: OBS's keyframe interval sets the segment length, so a mismatch is said with what to set.
          const keyframes = status.keyframes;
          const misfit = keyframes !== undefined && !keyframes.fits;
          if (keyframes)
            parts.push(
              misfit
                ? RED._('ingest.status.keyframesMisfit', { seconds: keyframes.longestSeconds.toFixed(1), segment: options!.segmentSeconds })
                : RED._('ingest.status.keyframesFit', { segment: options!.segmentSeconds }),
            );
          withFeed({ fill: behind || misfit ? 'yellow' : 'green', shape: 'dot', text: parts.join(' · ') });
          break;
        }
        case 'restarting':
          withFeed({ fill: 'yellow', shape: 'ring', text: RED._('ingest.status.restarting', { seconds: Math.ceil((status.retryInMs ?? 0) / 1000) }) });
          break;
        case 'starting':
          withFeed({ fill: 'grey', shape: 'ring', text: RED._('ingest.status.starting') });
          break;
        default:
          node.status({});
      }
    };

    let options: ConstructorParameters<typeof IngestServer>[0] | undefined;
    let feed: WatchFeed | undefined;
    try {
      if (!config.path) throw new RelaycastError('E_CONFIG', RED._('ingest.errors.path'));
      const checked = {
        outDir: config.path,
        bind: (config.bind ?? '').trim() || '0.0.0.0',
        port: configNumber(config.port, { ...INGEST_NUMBERS.port, code: 'E_CONFIG' }),
        segmentSeconds: configNumber(config.segmentSeconds, { ...INGEST_NUMBERS.segmentSeconds, code: 'E_CONFIG' }),
        listSize: configNumber(config.listSize, { ...INGEST_NUMBERS.listSize, code: 'E_CONFIG' }),
        ladder: config.mode === 'ladder' ? parseLadder(config.ladder || DEFAULT_LADDER) : [],
        ffmpegPath: (config.ffmpegPath ?? '').trim() || 'ffmpeg',
        streamKey: checkStreamKey(node.credentials?.streamKey),
        srt: config.srt
          ? {
              port: configNumber(config.srtPort, { ...INGEST_NUMBERS.srtPort, code: 'E_CONFIG' }),
              latencyMs: configNumber(config.srtLatency, { ...INGEST_NUMBERS.srtLatency, code: 'E_CONFIG' }),
              passphrase: checkSrtPassphrase(node.credentials?.srtPassphrase),
            }
          : undefined,
      };
      const stream = (config.stream ?? '').trim();
      if (stream)
        // Every rendition the ingest writes (copy: one, ladder: each rung), with hls-watch's defaults.
        feed = openWatchFeed(
          RED,
          node,
          { path: checked.outDir, stream, pipeline: config.pipeline },
          {
            type: 'relaycast-ingest',
            send: (msg) => node.send([msg, null]),
            onStatus: (status) => {
              const problem = status.state === 'error' ? status.code : undefined;
              if (problem === feedProblem) return;
              feedProblem = problem;
              showStatus(lastStatus);
            },
          },
        );
      options = checked;
    } catch (err) {
      refuseToStart(node, err, { code: 'E_CONFIG' });
    }

    if (options) {
      const current = new IngestServer(options, {
        onStatus: showStatus,
        onEvent: (event) => {
          if (event.event === 'publishing') [lastRefusal, ffmpegFailed] = ['', false];
          if (event.event === 'refused') lastRefusal = event.code;
          node.send([null, { topic: 'ingest', payload: event }]);
        },
        onError: (err) => {
          node.error(err, { topic: 'ingest', payload: { code: err.code, message: err.message } });
          // The gate showed "waiting" as the publish ended; the crash that ended it is said there too.
          if (err.code === 'E_INGEST_FFMPEG') {
            ffmpegFailed = true;
            if (lastStatus.state === 'listening') showStatus(lastStatus);
          }
        },
      });
      server = current;
      // The watcher waits for the folder and its playlist until the first publish writes them.
      feed?.start().catch((err: unknown) => node.error(toRelaycastError(err, 'E_INTERNAL')));
      // ffmpeg missing or the port taken: the node cannot serve, said once with its code.
      current.start().catch((err: unknown) => {
        const error = toRelaycastError(err, 'E_INGEST_LISTEN');
        node.error(error, { topic: 'ingest', payload: { code: error.code, message: error.message } });
        node.status({ fill: 'red', shape: 'ring', text: error.code });
      });
    }

    onCloseAsync(node, async (removed) => {
      await server?.close();
      // The watcher's progress is saved per node: the next deploy resumes where this one stopped.
      await feed?.close(removed);
      node.status({});
    });
  }

  registerNodeType<IngestNode, IngestDef>(RED, 'relaycast-ingest', IngestNodeCtor, {
    credentials: { streamKey: { type: 'password' }, srtPassphrase: { type: 'password' } },
  });
};
