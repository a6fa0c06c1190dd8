/**
 * relaycast-signaling: the WebRTC swarm coordinator on Node-RED's own HTTP port.
 * A thin shell: it owns the WebSocket upgrade for its path and the timers, and maps frames, input
 * msgs and coordinator callbacks onto lib/signaling. The protocol is docs/signaling-protocol.md.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { WebSocketServer, type WebSocket } from 'ws';
import { announcementFromMsg } from '../../lib/signaling/announcements';
import { clientAddress, parseTrustedProxies, type TrustedProxies } from '../../lib/signaling/client-address';
import { iceServersForPeer, validIceServers, type IcePeer, type IceServerProvider } from '../../lib/signaling/ice-servers';
import { playlistFromMsg } from '../../lib/signaling/playlists';
import { SignalingCoordinator, type Session, type Transport } from '../../lib/signaling/coordinator';
import { CLOSE_CODES } from '../../lib/protocol';
import { parseSupporterTokens, tokenListVerifier, type SupporterVerifier } from '../../lib/signaling/supporters';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { DEFAULT_LIMITS } from '../../lib/signaling/limits';
import { RedisSwarmRegistry } from '../../lib/signaling/redis-registry';
import type { RedisConfigNode } from '../redis/redis-api';
import { httpNodeRoot, onCloseAsync, onInputAsync } from '../shared/node-runtime';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import type { SwarmProbe } from '../../lib/telemetry/probes';
import { normalizeViewerPath, serveViewerPage } from './viewer-page';
import {
  iceServersFromConfig, limitsFromConfig, normalizePath, statsIntervalMs, turnTtlSeconds,
  type SignalingConfig, type SignalingCredentials,
} from './config';

type SignalingNodeDef = NodeDef & SignalingConfig & {
  /** id of a relaycast-redis config node: share swarms with other instances through it. */
  redis?: string;
};

/** Same shape as Node-RED's webSocketNodeVerifyClient (ws's verifyClient). */
type VerifyClient =
  | ((info: { origin?: string; req: IncomingMessage; secure: boolean }) => boolean)
  | ((info: { origin?: string; req: IncomingMessage; secure: boolean },
      cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void);

interface RelaycastSettings {
  httpNodeRoot?: string | false;
  relaycastSignalingVerifyClient?: VerifyClient;
  relaycastSignalingVerifySupporter?: SupporterVerifier;
  /** Another credential scheme: the ICE servers for one joining peer (sync). */
  relaycastSignalingIceServers?: (peer: IcePeer) => unknown;
}

const STATUS_REFRESH_MS = 1000;

/** One ws connection as the coordinator sees it; methods on the prototype keep it small. */
class WsTransport implements Transport {
  /** Set once connected: what the peer joined decides which stream the sent bytes count for. */
  session: Session | undefined;
  constructor(private readonly ws: WebSocket, private readonly sent?: (session: Session | undefined, bytes: number) => void) {}
  send(text: string): void {
    this.ws.send(text);
    this.sent?.(this.session, Buffer.byteLength(text));
  }
  close(code: number, reason: string): void {
    // A peer evicted for silence is presumed dead: no point waiting for its close handshake.
    if (code === CLOSE_CODES.HEARTBEAT_TIMEOUT) this.ws.terminate();
    else this.ws.close(code, reason);
  }
  ping(): void { this.ws.ping(); }
  bufferedAmount(): number { return this.ws.bufferedAmount; }
}

function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${message.replace(/[\r\n]/g, ' ')}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
  socket.destroy();
}

export = function (RED: NodeAPI) {
  /** Full paths in use by signaling nodes of this runtime (duplicate paths are a config error). */
  const pathsInUse = new Map<string, string>();

  function SignalingNode(this: Node<SignalingCredentials>, config: SignalingNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = RED.settings as unknown as RelaycastSettings;
    const server = (RED as unknown as { server?: Server | null }).server;

    /** The settings hook when present (falling back to the configured list if it fails), else the list with per-peer TURN credentials. */
    function iceServerProvider(cfg: SignalingNodeDef, credentials: SignalingCredentials): IceServerProvider | ReturnType<typeof iceServersFromConfig> {
      const configured = iceServersFromConfig(cfg, credentials);
      const secret = credentials.turnSecret;
      // Checked even without a secret: the editor marks a bad TTL either way, so the deploy refuses it too.
      const ttlSeconds = turnTtlSeconds(cfg);
      const turn = secret ? { turnSecret: secret, ttlSeconds } : undefined;
      if (!turn && configured.some((server) => server.credential !== undefined)) {
        node.warn(RED._('signaling.errors.staticTurn'));
      }
      const hook = settings.relaycastSignalingIceServers;
      if (typeof hook !== 'function' && !turn) return configured;
      return (peer) => {
        if (typeof hook === 'function') {
          try {
            const servers = hook(peer);
            if (validIceServers(servers)) return servers;
            node.warn('relaycastSignalingIceServers returned something other than an array of at most 8 {urls, username?, credential?}');
          } catch (err) {
            node.warn(`relaycastSignalingIceServers threw: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        return iceServersForPeer(configured, turn, peer.peer, Date.now());
      };
    }

    /** A node that could not start still answers every input msg, with the reason as its error. */
    const refuseInput = (code: string, message: string): void => {
      onInputAsync(node, async () => { throw new RelaycastError(code, message); });
    };

    let fullPath: string;
    let coordinator: SignalingCoordinator;
    let statsEvery: number;
    let trustedProxies: TrustedProxies;
    /** With a relaycast-redis config: the registry shared with the other instances. */
    let registry: RedisSwarmRegistry | undefined;
    let redisNode: RedisConfigNode | undefined;
    const dropRegistry = async (): Promise<void> => {
      const [shared, owner] = [registry, redisNode];
      registry = undefined;
      redisNode = undefined;
      await shared?.close();
      await owner?.deregister(node);
    };
    let probe: SwarmProbe | undefined;
    try {
      trustedProxies = parseTrustedProxies(config.trustedProxies);
      fullPath = httpNodeRoot(settings) + normalizePath(config.path);
      const verifySupporter = typeof settings.relaycastSignalingVerifySupporter === 'function'
        ? settings.relaycastSignalingVerifySupporter
        : tokenListVerifier(parseSupporterTokens(node.credentials?.supporterTokens));
      statsEvery = statsIntervalMs(config);
      const limits = limitsFromConfig(config);
      if (config.redis) {
        const configNode = RED.nodes.getNode(config.redis) as RedisConfigNode | null;
        if (!configNode || typeof configNode.register !== 'function') throw new RelaycastError('E_SIGNAL_CONFIG', 'the selected relaycast-redis configuration does not exist');
        const pair = configNode.register(node);
        redisNode = configNode;
        registry = new RedisSwarmRegistry(pair, {
          namespace: fullPath,
          limits: { maxSwarms: limits.maxSwarms ?? DEFAULT_LIMITS.maxSwarms, maxPeersPerSwarm: limits.maxPeersPerSwarm ?? DEFAULT_LIMITS.maxPeersPerSwarm },
          livenessTtlMs: configNode.livenessTtlMs,
          onState: () => { statusStale = true; },
          onError: (err) => node.warn(RED._('signaling.errors.redis', { message: err.message })),
        });
      }
      coordinator = new SignalingCoordinator({
        limits,
        registry,
        iceServers: iceServerProvider(config, node.credentials ?? {}),
        verifySupporter,
        networkTagKey: node.credentials?.networkTagKey || undefined,
        onSwarmEvent: (event) => { probe?.peers(event.stream, event.rendition, event.swarmPeers); emit(0, { topic: 'swarm', payload: event }); statusStale = true; },
        onReceipt: (receipt) => emit(1, { topic: 'receipt', payload: receipt }),
        onAudit: (event) => emit(2, { topic: 'audit', payload: event }),
      });
    } catch (err) {
      const error = toRelaycastError(err, 'E_SIGNAL_CONFIG');
      node.error(RED._('signaling.errors.config', { message: error.message }));
      node.status({ fill: 'red', shape: 'ring', text: 'signaling.status.config' });
      refuseInput(error.code, error.message);
      onCloseAsync(node, dropRegistry);
      return;
    }

    if (!server) {
      node.error(RED._('signaling.errors.noServer'));
      node.status({ fill: 'red', shape: 'ring', text: 'signaling.status.noServer' });
      refuseInput('E_SIGNAL_NO_SERVER', 'Node-RED has no HTTP server to share');
      onCloseAsync(node, dropRegistry);
      return;
    }
    if (pathsInUse.has(fullPath)) {
      node.error(RED._('signaling.errors.duplicatePath', { path: fullPath }));
      node.status({ fill: 'red', shape: 'ring', text: 'signaling.status.duplicate' });
      refuseInput('E_SIGNAL_DUPLICATE_PATH', `another relaycast-signaling node already listens on ${fullPath}`);
      onCloseAsync(node, dropRegistry);
      return;
    }
    pathsInUse.set(fullPath, node.id);
    const telemetry = telemetryOf(RED);
    probe = telemetry.swarm(nodeRef(node, 'relaycast-signaling'), () => coordinator.audienceSummary());

    const limits = coordinator.limits;
    // maxPayload makes ws refuse an oversized frame from its header (close CLOSE_CODES.MESSAGE_TOO_BIG) before buffering it.
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    let statusStale = true;

    function emit(port: 0 | 1 | 2, msg: NodeMessage): void {
      const out: Array<NodeMessage | null> = [null, null, null];
      out[port] = msg;
      node.send(out);
    }

    function accept(req: IncomingMessage, socket: Duplex, head: Buffer, ip: string): void {
      wss.handleUpgrade(req, socket, head, (ws) => {
        const transport = new WsTransport(ws, (s, bytes) => probe?.sent(s?.stream, bytes));
        const session: Session = coordinator.connect(transport, ip);
        transport.session = session;
        ws.on('message', (data, isBinary) => coordinator.message(session, data as Buffer, isBinary));
        ws.on('pong', () => coordinator.touch(session));
        ws.on('close', () => { coordinator.disconnect(session); statusStale = true; });
        // ws reports protocol errors (an oversized frame, a bad opcode) here and closes the socket
        // itself with the matching code; the listener keeps the error from crashing Node-RED.
        ws.on('error', () => { /* the close event follows */ });
      });
    }

    function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      if ((query >= 0 ? url.slice(0, query) : url) !== fullPath) return; // another listener's socket: leave it alone
      // Behind a listed reverse proxy, the client is who the proxy says it is; otherwise the TCP peer.
      const ip = clientAddress(req.socket.remoteAddress ?? 'unknown', req.headers, trustedProxies);
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      // Every refusal is audited, whichever check made it (the protocol document promises it).
      const refuse = (status: number, message: string, headers?: Record<string, string>): void => {
        coordinator.auditRefusal(ip, status, message);
        refuseUpgrade(socket, status, message, headers);
      };
      const admission = coordinator.admit(ip, origin);
      if (!admission.ok) {
        refuse(admission.status, admission.reason);
        return;
      }
      const hook = settings.relaycastSignalingVerifyClient;
      if (typeof hook !== 'function') {
        accept(req, socket, head, ip);
        return;
      }
      const info = { origin, req, secure: (req.socket as TLSSocket).encrypted === true };
      const decide = (ok: boolean, code = 401, message = 'Unauthorized', headers?: Record<string, string>): void => {
        if (socket.destroyed) return;
        if (ok) accept(req, socket, head, ip);
        else refuse(code, message, headers);
      };
      try {
        if (hook.length >= 2) (hook as (i: typeof info, cb: typeof decide) => void)(info, decide);
        else decide((hook as (i: typeof info) => boolean)(info) === true);
      } catch (err) {
        node.warn(`relaycastSignalingVerifyClient threw: ${err instanceof Error ? err.message : String(err)}`);
        decide(false, 500, 'Internal Server Error');
      }
    }

    server.on('upgrade', onUpgrade);

    let removeViewerPage: (() => void) | undefined;
    try {
      const viewerPath = normalizeViewerPath(config.viewerPath);
      const master = (config.viewerMaster ?? '').trim() || 'master.m3u8';
      if (viewerPath !== '' && settings.httpNodeRoot !== false) {
        removeViewerPage = serveViewerPage(RED.httpNode, settings as Record<string, unknown>, {
          nodeId: node.id, viewerPath, signalingPath: fullPath, root: httpNodeRoot(settings), master,
          firstRendition: (stream) => coordinator.renditionsOf(stream)[0],
          playlists: (stream, rendition) => coordinator.playlistsFor(stream, rendition),
          failed: (err) => node.error(err instanceof Error ? err.message : String(err)),
        });
      }
    } catch (err) {
      // The swarm works without the page; say why there is none.
      node.warn(RED._('signaling.errors.viewer', { message: err instanceof Error ? err.message : String(err) }));
    }

    const sweepTimer = setInterval(() => coordinator.sweep(), coordinator.sweepMs);
    const showStatus = (): void => {
      if (!registry) {
        node.status({ fill: 'green', shape: 'dot', text: RED._('signaling.status.peers', { count: coordinator.peerCount() }) });
      } else if (registry.connected) {
        node.status({ fill: 'green', shape: 'dot', text: RED._('signaling.status.peersHere', { count: coordinator.peerCount(), local: registry.localPeers() }) });
      } else {
        // Redis is out: this instance serves its own peers only, and says so.
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('signaling.status.redisDown', { count: registry.localPeers() }) });
      }
    };
    const statusTimer = setInterval(() => {
      // Other instances' joins change the count too: with Redis, refresh every time.
      if (!statusStale && !registry) return;
      statusStale = false;
      showStatus();
    }, STATUS_REFRESH_MS);
    const statsTimer = statsEvery > 0 ? setInterval(() => emit(0, { topic: 'stats', payload: coordinator.stats() }), statsEvery) : undefined;
    showStatus();

    onInputAsync(node, async (msg) => {
      const announcement = announcementFromMsg(msg as { topic?: unknown; segment?: unknown });
      // The segment first: a peer must know a segment's hash before any playlist lists it.
      if (announcement) coordinator.announce(announcement);
      const playlist = playlistFromMsg(msg as { topic?: unknown; payload?: unknown; playlist?: unknown });
      if (playlist) coordinator.pushPlaylist(playlist);
    }, () => {
      node.status({ fill: 'red', shape: 'ring', text: 'signaling.status.badInput' });
      statusStale = true; // the peer count returns at the next refresh
    });

    onCloseAsync(node, async () => {
      clearInterval(sweepTimer);
      telemetry.remove(node.id, probe);
      clearInterval(statusTimer);
      if (statsTimer) clearInterval(statsTimer);
      server.removeListener('upgrade', onUpgrade);
      removeViewerPage?.();
      coordinator.closeAll(CLOSE_CODES.NODE_CLOSED, 'node closed');
      wss.close();
      if (pathsInUse.get(fullPath) === node.id) pathsInUse.delete(fullPath);
      node.status({});
      // This instance's peers leave Redis at once (the others drop them without waiting for the TTL).
      await dropRegistry();
    });
  }

  RED.nodes.registerType('relaycast-signaling', SignalingNode, {
    credentials: {
      supporterTokens: { type: 'password' },
      turnUsername: { type: 'text' },
      turnCredential: { type: 'password' },
      turnSecret: { type: 'password' },
      networkTagKey: { type: 'password' },
    },
    settings: {
      relaycastSignalingVerifyClient: { value: null, exportable: false },
      relaycastSignalingVerifySupporter: { value: null, exportable: false },
      relaycastSignalingIceServers: { value: null, exportable: false },
    },
  } as never);
};
