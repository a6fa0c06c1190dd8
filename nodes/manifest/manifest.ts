/**
 * relaycast-manifest: the Node-RED shell around lib/manifest. Maps the node's configuration onto
 * ManifestCore, feeds it segment / gap / lifecycle msgs, serves the playlists on RED.httpNode,
 * outputs every new playlist version as a `playlist` msg, and keeps the state in a file under
 * userDir so a redeploy or restart continues the sequences.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { SegmentInfo } from '../../lib/protocol/msgs';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import {
  DurableView, ManifestCore, ManifestStateStore, playlistMsg, restoreManifest,
  type GapMode, type ManifestUpdate, type RenderedPlaylist,
} from '../../lib/manifest';
import { ManifestPaths, PlaylistEndpoints, registerRoutes, type HttpSettings } from '../../lib/manifest/http';
import { inBackground } from '../../lib/background';
import { configNumber } from '../../lib/config-number';
import { sharedListings } from '../../lib/playlist-listings';
import { sharedReceipts } from '../../lib/delivery-receipts';
import { onCloseAsync, onInputAsync } from '../shared/node-runtime';
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
}

const splitList = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const CODE = 'E_MANIFEST_CONFIG';
/**
 * How long the segments of a closed manifest node stay protected from r2-upload's cleanup: far
 * longer than any window needs, since a redeploy lists them again within a second.
 */
const RELEASE_HOLD_MS = 10 * 60_000;

export = function (RED: NodeAPI) {
  const settings = RED.settings as unknown as HttpSettings & { userDir?: string };

  function ManifestNode(this: Node, config: ManifestNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;

    let core: ManifestCore;
    let idleEndMs = 0;
    let paths: ManifestPaths;
    try {
      paths = new ManifestPaths({ master: config.masterPath, media: config.mediaPath, health: config.healthPath, stream: config.stream });
      idleEndMs = configNumber(config.idleEndSeconds, { ...MANIFEST_NUMBERS.idleEndSeconds, code: CODE }) * 1000;
      core = new ManifestCore({
        windowSegments: configNumber(config.windowSegments, { ...MANIFEST_NUMBERS.windowSegments, code: CODE }),
        targetDuration: configNumber(config.targetDuration, { ...MANIFEST_NUMBERS.targetDuration, code: CODE }),
        dvr: config.dvr === true,
        gapMode: config.gapMode === 'discontinuity' ? 'discontinuity' : 'gap',
        blockingReload: config.blockingReload === true,
        // Empty = 3 × target duration (the core's default), so no fallback number here.
        endGraceSeconds: config.endGraceSeconds === undefined || config.endGraceSeconds === ''
          ? undefined
          : configNumber(config.endGraceSeconds, { ...MANIFEST_NUMBERS.endGraceSeconds, code: CODE }),
        streams: paths.streams,
        renditions: splitList(config.renditions),
        listings: sharedListings.forOwner(node.id),
        // After a partial deploy: a copy that overtook the resend of the ones before it waits for its own.
        resendRequest: (stream, request) => sharedReceipts.requestResend(stream, request),
        variantUri: (stream, rendition) => paths.variantUri(stream, rendition),
      });
    } catch (err) {
      node.error(err instanceof Error ? err.message : String(err));
      node.status({ fill: 'red', shape: 'ring', text: 'manifest.status.config' });
      node.on('input', (_msg: unknown, _send: unknown, done: (err?: Error) => void) => {
        done(new RelaycastError('E_MANIFEST_CONFIG', 'manifest node is not configured correctly'));
      });
      return;
    }

    // ---- state: restore before serving anything, so no client ever sees a reset ----
    // State file and DVR history log (lib/manifest/state-store.ts): a save costs the same at any DVR length.
    const stateFile = settings.userDir
      ? ManifestStateStore.forNode(settings.userDir, node.id, { onError: (err) => node.warn(err.message) })
      : undefined;
    if (stateFile) {
      // Starting empty (numbered from the wall clock) must be said loudly.
      const lost = restoreManifest(core, stateFile);
      if (lost) node.error(RED._('manifest.errors.state-lost', { message: lost.message }));
    } else {
      node.warn(RED._('manifest.errors.no-userdir'));
    }
    // Only versions whose state is on disk are served and sent (see DurableView).
    const durable = new DurableView(core);
    durable.takeAll();
    const telemetry = telemetryOf(RED);
    const probe = telemetry.manifest(nodeRef(node, 'relaycast-manifest'));
    // hls-watch journals what it sends to this stream until this node confirms it (lib/delivery-receipts.ts).
    const withdrawConfirmer = sharedReceipts.willConfirm(paths.streams[0]);
    // Restarted alone (a partial deploy), it missed what r2-upload released meanwhile: hls-watch sends it again.
    sharedReceipts.restarted(paths.streams[0]);
    const persist = (): Promise<void> => (stateFile ? stateFile.saveDurably(core) : Promise.resolve());

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
        const registration = registerRoutes(RED.httpNode as never, settings, {
          id: node.id,
          templates: paths.templates,
          streams: paths.streams,
          matches: (pathname) => endpoints.matches(pathname),
          handle: (pathname, req, res) => endpoints.handle(pathname, req, res),
          failed: (err) => node.error(RED._('manifest.errors.request-failed', { message: err instanceof Error ? err.message : String(err) })),
        }, RED.server);
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
      return playlistMsg(p, paths.keyOf(p), segment) as unknown as NodeMessage;
    };

    /** Tells hls-watch (lib/delivery-receipts.ts) that a segment or gap msg is handled and saved. */
    function confirmDelivery(msg: unknown): void {
      const m = msg as { topic?: unknown; segment?: { stream?: unknown; rendition?: unknown; session?: unknown; sequence?: unknown } };
      if ((m.topic !== 'segment' && m.topic !== 'gap') || !m.segment) return;
      const { stream, rendition, session, sequence } = m.segment;
      if (typeof stream === 'string' && typeof rendition === 'string' && typeof session === 'string' && typeof sequence === 'number') {
        sharedReceipts.confirm(stream, rendition, session, sequence);
      }
    }

    function showStatus(): void {
      const streams = core.streamIds();
      if (streams.length === 0) {
        if (unregister) node.status({ fill: 'yellow', shape: 'ring', text: 'manifest.status.waiting' });
        return;
      }
      const renditions = streams.reduce((n, s) => n + core.renditionIds(s).length, 0);
      const ended = streams.every((s) => core.renditionIds(s).every((r) => durable.mediaPlaylist(s, r)?.ended));
      node.status(ended
        ? { fill: 'grey', shape: 'dot', text: 'manifest.status.ended' }
        : { fill: 'green', shape: 'dot', text: RED._('manifest.status.live', { renditions }) });
    }

    onInputAsync(node, async (msg, send) => {
      const { stream, rendition } = (msg as { segment?: { stream?: unknown; rendition?: unknown } }).segment ?? {};
      paths.refuseShadowedRendition(stream, rendition);
      let update: ManifestUpdate;
      try {
        update = core.apply(msg);
      } catch (err) {
        // Even a refused msg can move state (a refused over-long segment marks a discontinuity).
        await persist();
        // Handled for good, if refused: sending it again would not change that.
        confirmDelivery(msg);
        throw err;
      }
      // Not handled, so not confirmed: hls-watch sends it again, after the ones it skipped.
      if (update.comesAgain) return;
      // Served and sent only once on disk: a crash can then never hand its MSNs to other segments.
      await persist();
      durable.take(update);
      confirmDelivery(msg);
      const incoming = msg as unknown as { topic?: string; segment?: SegmentInfo };
      const segment = incoming.topic === 'segment' ? incoming.segment : undefined;
      const out: NodeMessage[] = update.media.map((p) => outputOf(p, segment));
      if (update.master) out.push(outputOf(update.master, segment));
      for (const p of update.media) endpoints.published(p);
      if (out.length > 0) send([out]);
      showStatus();
    }, (err) => {
      node.status({ fill: 'red', shape: 'ring', text: err.code });
    });

    showStatus();

    // Once per second: held ENDLISTs whose grace has passed, and idle end when configured (0 = off).
    const idleTimer = setInterval(() => {
      // A failure in a timer would exit Node-RED: report it through the node instead.
      inBackground(endStreams, (err) => node.error(toRelaycastError(err, 'E_MANIFEST_INTERNAL')));
    }, 1000);
    idleTimer.unref();

    async function endStreams(): Promise<void> {
      const updates = [...core.endDue(), ...(idleEndMs > 0 ? core.endIdle(idleEndMs) : [])];
      if (updates.length === 0) return;
      await persist();
      const out: NodeMessage[] = [];
      for (const update of updates) {
        durable.take(update);
        for (const p of update.media) {
          endpoints.published(p);
          out.push(outputOf(p));
        }
        if (update.master) out.push(outputOf(update.master));
      }
      node.send([out]);
      showStatus();
    }

    onCloseAsync(node, async (removed) => {
      clearInterval(idleTimer);
      telemetry.remove(node.id, probe);
      withdrawConfirmer();
      unregister?.();
      endpoints.close();
      // Until a redeployed node lists them again (at once, from its state), r2-upload keeps them.
      sharedListings.releaseOwner(node.id, Date.now() + RELEASE_HOLD_MS);
      // Deleted from the flow (not just redeployed): its state means nothing any more.
      if (removed) await stateFile?.remove();
      else await stateFile?.flush();
      node.status({});
    });
  }

  RED.nodes.registerType('relaycast-manifest', ManifestNode);
};
