/**
 * relaycast-manifest: the Node-RED shell around lib/manifest. Maps the node's configuration onto
 * ManifestCore, feeds it segment / gap / lifecycle msgs, serves the playlists on RED.httpNode,
 * outputs every new playlist version as a `playlist` msg, and keeps the state in a file under
 * userDir so a redeploy or restart continues the sequences.
 */
import type { Node, NodeDef, NodeMessage } from 'node-red';
import type { SegmentInfo } from '../../lib/protocol/msgs';
import { toRelaycastError } from '../../lib/errors';
import { ManifestCore, ManifestPublisher, ManifestStateStore, playlistMsg, restoreManifest, type GapMode, type RenderedPlaylist } from '../../lib/manifest';
import { registerRoutes, type HttpSettings } from '../../lib/http';
import { ManifestPaths, PlaylistEndpoints } from '../../lib/manifest/http';
import { inBackground } from '../../lib/async/background';
import { configNumber } from '../../lib/config/config-number';
import { onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { asNodeMessage, type RelaycastRED } from '../shared/node-types';
import { joinPipeline, type PipelineLease } from '../shared/pipeline-bus';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import { MANIFEST_NUMBERS } from './number-fields';

interface ManifestNodeDef extends NodeDef {
  stream?: string;
  renditions?: string;
  masterPath?: string;
  mediaPath?: string;
  healthPath?: string;
  windowSegments?: number | string;
  targetDuration?: number | string;
  dvr?: boolean;
  gapMode?: GapMode;
  blockingReload?: boolean;
  idleEndSeconds?: number | string;
  /** Seconds the encoder's ENDLIST is held; empty = 3 × target duration. */
  endGraceSeconds?: number | string;
  /** The relaycast-pipeline config node; empty: the flow tab's default pipeline. */
  pipeline?: string;
}

const splitList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const CODE = 'E_MANIFEST_CONFIG';
/**
 * How long the segments of a closed manifest node stay protected from r2-upload's cleanup: far
 * longer than any window needs, since a redeploy lists them again within a second.
 */
const RELEASE_HOLD_MS = 10 * 60_000;

export = function (RED: RelaycastRED<HttpSettings>) {
  const settings = RED.settings;

  function ManifestNode(this: Node, config: ManifestNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;

    let core: ManifestCore;
    let idleEndMs = 0;
    let paths: ManifestPaths;
    // Receipts to hls-watch and listings to r2-upload go over the pipeline's bus (lib/pipeline/bus.ts).
    let pipeline: PipelineLease | undefined;
    try {
      pipeline = joinPipeline(RED, node, config.pipeline, CODE);
      const { receipts, listings } = pipeline.bus;
      paths = new ManifestPaths({ master: config.masterPath, media: config.mediaPath, health: config.healthPath, stream: config.stream });
      idleEndMs = configNumber(config.idleEndSeconds, { ...MANIFEST_NUMBERS.idleEndSeconds, code: CODE }) * 1000;
      core = new ManifestCore({
        windowSegments: configNumber(config.windowSegments, { ...MANIFEST_NUMBERS.windowSegments, code: CODE }),
        targetDuration: configNumber(config.targetDuration, { ...MANIFEST_NUMBERS.targetDuration, code: CODE }),
        dvr: config.dvr === true,
        gapMode: config.gapMode === 'discontinuity' ? 'discontinuity' : 'gap',
        blockingReload: config.blockingReload === true,
        // Empty = 3 × target duration (the core's default), so no fallback number here.
        endGraceSeconds:
          config.endGraceSeconds === undefined || config.endGraceSeconds === ''
            ? undefined
            : configNumber(config.endGraceSeconds, { ...MANIFEST_NUMBERS.endGraceSeconds, code: CODE }),
        streams: paths.streams,
        renditions: splitList(config.renditions),
        listings: listings.forOwner(node.id),
        // After a partial deploy: a copy that overtook the resend of the ones before it waits for its own.
        resendRequest: (stream, request) => receipts.requestResend(stream, request),
        variantUri: (stream, rendition) => paths.variantUri(stream, rendition),
      });
    } catch (err) {
      pipeline?.release();
      refuseToStart(node, err, { code: CODE, status: 'manifest.status.config', log: toRelaycastError(err).message });
      return;
    }

    // ---- state: restore before serving anything, so no client ever sees a reset ----
    // State file and DVR history log (lib/manifest/state-store.ts): a save costs the same at any DVR length.
    const stateFile = settings.userDir ? ManifestStateStore.forNode(settings.userDir, node.id, { onError: (err) => node.warn(err.message) }) : undefined;
    if (stateFile) {
      // Starting empty (numbered from the wall clock) must be said loudly.
      const lost = restoreManifest(core, stateFile);
      if (lost) node.error(RED._('manifest.errors.state-lost', { message: lost.message }));
    } else {
      node.warn(RED._('manifest.errors.no-userdir'));
    }
    const telemetry = telemetryOf(RED);
    const probe = telemetry.manifest(nodeRef(node, 'relaycast-manifest'));
    // hls-watch journals what it sends to this stream until this node confirms it (lib/pipeline/delivery-receipts.ts).
    const { receipts, listings } = pipeline.bus;
    const withdrawConfirmer = receipts.willConfirm(paths.streams[0]);
    // Restarted alone (a partial deploy), it missed what r2-upload released meanwhile: hls-watch sends it again.
    receipts.restarted(paths.streams[0]);
    const publisher = new ManifestPublisher({
      core,
      state: stateFile,
      check: (stream, rendition) => paths.refuseShadowedRendition(stream, rendition),
      served: (p) => endpoints.published(p),
      confirm: (stream, rendition, session, sequence) => receipts.confirm(stream, rendition, session, sequence),
    });
    // Only versions whose state is on disk are served and sent (see DurableView).
    const durable = publisher.durable;

    // ---- HTTP ----
    const endpoints = new PlaylistEndpoints({
      paths,
      playlists: durable,
      health: () => core.health() as Record<string, unknown>,
      blockingReload: config.blockingReload === true,
      served: (stream, bytes) => probe.served(stream, bytes),
    });

    let unregister: (() => void) | undefined;
    if (settings.httpNodeRoot === false) {
      node.warn(RED._('manifest.errors.not-created'));
    } else {
      try {
        const registration = registerRoutes(
          RED.httpNode,
          settings,
          {
            id: node.id,
            templates: paths.templates,
            streams: paths.streams,
            matches: (pathname) => endpoints.matches(pathname),
            handle: (pathname, req, res) => endpoints.handle(pathname, req, res),
            failed: (err) => node.error(RED._('manifest.errors.request-failed', { message: err instanceof Error ? err.message : String(err) })),
          },
          RED.server,
        );
        unregister = registration.unregister;
        if (registration.fastPathRefused) node.warn(RED._('manifest.errors.fast-path-refused', { setting: registration.fastPathRefused }));
      } catch (err) {
        node.error(err instanceof Error ? err.message : String(err));
        node.status({ fill: 'red', shape: 'ring', text: 'manifest.status.duplicate-path' });
      }
    }

    // ---- msgs ----
    const outputOf = (p: RenderedPlaylist, segment?: SegmentInfo): NodeMessage => {
      probe.rendered(p.stream, p.rendition, p.rendition !== null ? p.mediaSequence : undefined, p.ended);
      return asNodeMessage(playlistMsg(p, paths.keyOf(p), segment));
    };

    function showStatus(): void {
      const streams = core.streamIds();
      if (streams.length === 0) {
        if (unregister) node.status({ fill: 'yellow', shape: 'ring', text: 'manifest.status.waiting' });
        return;
      }
      const renditions = streams.reduce((n, s) => n + core.renditionIds(s).length, 0);
      const ended = streams.every((s) => core.renditionIds(s).every((r) => durable.mediaPlaylist(s, r)?.ended));
      node.status(
        ended
          ? { fill: 'grey', shape: 'dot', text: 'manifest.status.ended' }
          : { fill: 'green', shape: 'dot', text: RED._('manifest.status.live', { renditions }) },
      );
    }

    onInputAsync(
      node,
      async (msg, send) => {
        const { playlists, segment, comesAgain } = await publisher.apply(msg);
        if (comesAgain) return;
        if (playlists.length > 0) send([playlists.map((p) => outputOf(p, segment))]);
        showStatus();
      },
      (err) => {
        node.status({ fill: 'red', shape: 'ring', text: err.code });
      },
    );

    showStatus();

    // Once per second: held ENDLISTs whose grace has passed, and idle end when configured (0 = off).
    const idleTimer = setInterval(() => {
      // A failure in a timer would exit Node-RED: report it through the node instead.
      inBackground(endStreams, (err) => node.error(toRelaycastError(err, 'E_MANIFEST_INTERNAL')));
    }, 1000);
    idleTimer.unref();

    async function endStreams(): Promise<void> {
      const playlists = await publisher.endStreams(idleEndMs);
      if (playlists.length === 0) return;
      node.send([playlists.map((p) => outputOf(p))]);
      showStatus();
    }

    onCloseAsync(node, async (removed) => {
      clearInterval(idleTimer);
      telemetry.remove(node.id, probe);
      withdrawConfirmer();
      unregister?.();
      endpoints.close();
      // Until a redeployed node lists them again (at once, from its state), r2-upload keeps them.
      listings.releaseOwner(node.id, Date.now() + RELEASE_HOLD_MS);
      pipeline.release();
      // Deleted from the flow (not just redeployed): its state means nothing any more.
      if (removed) await stateFile?.remove();
      else await stateFile?.flush();
      node.status({});
    });
  }

  RED.nodes.registerType('relaycast-manifest', ManifestNode);
};
