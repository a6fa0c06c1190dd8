/**
 * relaycast-manifest: the Node-RED shell around lib/manifest. Maps the node's configuration onto
 * ManifestCore, feeds it segment / gap / lifecycle msgs, serves the playlists on RED.httpNode,
 * outputs every new playlist version as a `playlist` msg, and keeps the state in a file under
 * userDir so a redeploy or restart continues the sequences.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { isId, type PlaylistMsg, type SegmentInfo } from '../../lib/contracts';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import {
  DurableView, ManifestCore, compilePathTemplate, playlistCacheControl, relativeUri, wallClockMediaSequence,
  type GapMode, type ManifestUpdate, type PathTemplate, type RenderedPlaylist,
} from '../../lib/manifest';
import { inBackground } from '../../lib/background';
import { configNumber } from '../../lib/config-number';
import { sharedListings } from '../../lib/playlist-listings';
import { sharedReceipts } from '../../lib/delivery-receipts';
import { onCloseAsync, onInputAsync } from '../shared/node-runtime';
import { registerRoutes, type Middleware } from './http-dispatcher';
import { BlockingReloads } from './blocking-reload';
import { MANIFEST_NUMBERS } from './number-fields';
import { sendJson, sendPlaylist, sendText, PLAYLIST_CONTENT_TYPE } from './playlist-response';
import { StateFile } from '../../lib/json-state-file';
import type { CorsSettings } from './cors';

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

const DEFAULT_PATHS = {
  master: '/live/{stream}/master.m3u8',
  media: '/live/{stream}/{rendition}.m3u8',
  health: '/live/{stream}/health.json',
};

interface Counters {
  master: number;
  media: number;
  health: number;
  notModified: number;
  notFound: number;
  blocked: number;
}

const splitList = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const CODE = 'E_MANIFEST_CONFIG';
/**
 * How long the segments of a closed manifest node stay protected from r2-upload's cleanup: far
 * longer than any window needs, since a redeploy lists them again within a second.
 */
const RELEASE_HOLD_MS = 10 * 60_000;

export = function (RED: NodeAPI) {
  const settings = RED.settings as unknown as {
    httpNodeRoot?: string | false;
    httpNodeCors?: CorsSettings;
    httpNodeMiddleware?: Middleware | Middleware[];
    httpNodeAuth?: unknown;
    relaycastManifestFastPath?: boolean;
    requireHttps?: boolean;
    userDir?: string;
  };

  function ManifestNode(this: Node, config: ManifestNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const counters: Counters = { master: 0, media: 0, health: 0, notModified: 0, notFound: 0, blocked: 0 };
    const fixedStream = (config.stream ?? '').trim();
    const streamValues = (stream: string) => (fixedStream ? { stream: fixedStream } : { stream });

    let core: ManifestCore;
    let idleEndMs = 0;
    let paths: { master: PathTemplate; media: PathTemplate; health: PathTemplate };
    try {
      const needStream = fixedStream ? [] : (['stream'] as const);
      paths = {
        master: compilePathTemplate(config.masterPath || DEFAULT_PATHS.master, 'master', [...needStream]),
        media: compilePathTemplate(config.mediaPath || DEFAULT_PATHS.media, 'media', [...needStream, 'rendition']),
        health: compilePathTemplate(config.healthPath || DEFAULT_PATHS.health, 'health', []),
      };
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
        streams: fixedStream ? [fixedStream] : [],
        renditions: splitList(config.renditions),
        listings: sharedListings.forOwner(node.id),
        variantUri: (stream, rendition) =>
          relativeUri(paths.master.fill(streamValues(stream)), paths.media.fill({ ...streamValues(stream), rendition })),
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
    const stateFile = settings.userDir
      ? StateFile.forNode(settings.userDir, 'manifest', node.id, { code: 'E_MANIFEST_STATE', what: 'manifest state', onError: (err) => node.warn(err.message) })
      : undefined;
    if (stateFile) {
      try {
        const saved = stateFile.load();
        if (saved !== undefined) core.restore(saved);
      } catch (err) {
        // Starting empty: say so loudly, keep the bad file, and number from the wall clock, above
        // anything the lost state can have given out, so no player sees an MSN name another segment.
        if (err instanceof RelaycastError && err.code === 'E_MANIFEST_STATE') stateFile.quarantine();
        core.floorSequences(wallClockMediaSequence(Date.now()));
        node.error(RED._('manifest.errors.state-lost', { message: (err as Error).message }));
      }
    } else {
      node.warn(RED._('manifest.errors.no-userdir'));
    }
    // Only versions whose state is on disk are served and sent (see DurableView).
    const durable = new DurableView(core);
    durable.takeAll();
    // hls-watch journals what it sends to this stream until this node confirms it (lib/delivery-receipts.ts).
    const withdrawConfirmer = sharedReceipts.willConfirm(fixedStream || undefined);
    const persist = (): Promise<void> => (stateFile ? stateFile.saveDurably(core.snapshot()) : Promise.resolve());

    const blocking = new BlockingReloads();

    // ---- HTTP ----
    const keyOf = (p: RenderedPlaylist) => (p.rendition === null
      ? paths.master.fill(streamValues(p.stream))
      : paths.media.fill({ ...streamValues(p.stream), rendition: p.rendition })).slice(1);
    const cacheControlOf = (p: RenderedPlaylist) => playlistCacheControl(p.targetDuration, p.ended);
    const acceptsStream = (stream: string | undefined) => stream === undefined || !fixedStream || stream === fixedStream;

    function serve(pathname: string, req: IncomingMessage, res: ServerResponse): boolean {
      const master = paths.master.match(pathname);
      if (master && acceptsStream(master.stream)) {
        counters.master += 1;
        const playlist = durable.masterPlaylist(master.stream ?? fixedStream);
        if (!playlist) return notFound(res);
        respond(req, res, playlist);
        return true;
      }
      const media = paths.media.match(pathname);
      if (media && acceptsStream(media.stream)) {
        counters.media += 1;
        const stream = media.stream ?? fixedStream;
        const rendition = media.rendition!;
        const presentation = presentationOf(req);
        const playlist = presentation === undefined ? undefined : durable.mediaPlaylist(stream, rendition, presentation);
        if (!playlist) return notFound(res);
        const directive = blockingReloadDirective(req);
        if (config.blockingReload && directive) {
          blocking.answer(directive, playlist, res, (p) => respond(req, res, p), () => { counters.blocked += 1; });
          return true;
        }
        respond(req, res, playlist);
        return true;
      }
      const health = paths.health.match(pathname);
      if (health && acceptsStream(health.stream)) {
        counters.health += 1;
        const all = core.health() as Record<string, unknown>;
        const streams = health.stream !== undefined ? (health.stream in all ? { [health.stream]: all[health.stream] } : undefined) : all;
        if (!streams) return notFound(res);
        // Public like the playlists: no node or session ids (they name the flow and the encoder's runs).
        sendJson(req, res, 200, { streams, requests: { ...counters } });
        return true;
      }
      return false;
    }

    function respond(req: IncomingMessage, res: ServerResponse, playlist: RenderedPlaylist): void {
      if (sendPlaylist(req, res, playlist, cacheControlOf(playlist)) === 'not-modified') counters.notModified += 1;
    }

    function notFound(res: ServerResponse): boolean {
      counters.notFound += 1;
      sendText(res, 404, 'no segments listed yet\n');
      return true;
    }

    let unregister: (() => void) | undefined;
    if (settings.httpNodeRoot === false) {
      node.warn(RED._('manifest.errors.not-created'));
    } else {
      try {
        const registration = registerRoutes(RED.httpNode as never, settings, {
          id: node.id,
          templates: [paths.master.template, paths.media.template, paths.health.template],
          streams: fixedStream ? [fixedStream] : [],
          matches: (pathname) => [paths.master, paths.media, paths.health].some((t) => {
            const m = t.match(pathname);
            return m !== undefined && acceptsStream(m.stream);
          }),
          handle: serve,
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
    function playlistMsg(p: RenderedPlaylist, segment: SegmentInfo | undefined): PlaylistMsg {
      return {
        topic: 'playlist',
        payload: p.text,
        key: keyOf(p),
        contentType: PLAYLIST_CONTENT_TYPE,
        cacheControl: cacheControlOf(p),
        playlist: {
          stream: p.stream, rendition: p.rendition,
          ...(p.rendition !== null ? { mediaSequence: p.mediaSequence, discontinuitySequence: p.discontinuitySequence } : {}),
          ended: p.ended,
          // A later presentation (after an ENDLIST was served) is served at ?presentation=N.
          ...(p.presentation ? { presentation: p.presentation } : {}),
        },
        ...(segment ? { segment } : {}),
      };
    }

    /** A rendition named like the master or health path (e.g. "master") could never be fetched. */
    function refuseShadowedRendition(msg: { segment?: { stream?: unknown; rendition?: unknown } }): void {
      const { stream, rendition } = msg.segment ?? {};
      // Ids that break the contract's rule are refused by the core with their own code.
      if (!isId(stream) || !isId(rendition)) return;
      const mediaPath = paths.media.fill({ ...streamValues(stream), rendition });
      if (paths.master.match(mediaPath) || paths.health.match(mediaPath)) {
        throw new RelaycastError('E_MANIFEST_BAD_ID', `rendition ${rendition} would be served at ${mediaPath}, which is the master or health path`);
      }
    }

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
      refuseShadowedRendition(msg as unknown as { segment?: { stream?: unknown; rendition?: unknown } });
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
      // Served and sent only once on disk: a crash can then never hand its MSNs to other segments.
      await persist();
      durable.take(update);
      confirmDelivery(msg);
      const incoming = msg as unknown as { topic?: string; segment?: SegmentInfo };
      const segment = incoming.topic === 'segment' ? incoming.segment : undefined;
      const out: NodeMessage[] = update.media.map((p) => playlistMsg(p, segment) as unknown as NodeMessage);
      if (update.master) out.push(playlistMsg(update.master, segment) as unknown as NodeMessage);
      for (const p of update.media) blocking.published(p);
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
          blocking.published(p);
          out.push(playlistMsg(p, undefined) as unknown as NodeMessage);
        }
        if (update.master) out.push(playlistMsg(update.master, undefined) as unknown as NodeMessage);
      }
      node.send([out]);
      showStatus();
    }

    onCloseAsync(node, async (removed) => {
      clearInterval(idleTimer);
      withdrawConfirmer();
      unregister?.();
      blocking.closeAll();
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

/**
 * Which presentation a media request asks for: `?presentation=N` (a later one, linked from the
 * master once an earlier one ended), 0 without it; undefined (404) when it is not a number.
 */
function presentationOf(req: IncomingMessage): number | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const value = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('presentation');
  if (value === null) return 0;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** `_HLS_msn` / `_HLS_part` query directives (rfc8216bis §6.2.5.2), or undefined when absent. */
function blockingReloadDirective(req: IncomingMessage): { msn?: string; part?: string } | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  const msn = params.get('_HLS_msn') ?? undefined;
  const part = params.get('_HLS_part') ?? undefined;
  return msn === undefined && part === undefined ? undefined : { msn, part };
}
