/**
 * relaycast-signaling: the WebRTC swarm coordinator on Node-RED's own HTTP port.
 * A thin shell over lib/signaling: it maps the editor config, the settings hooks and the shared
 * Redis onto a SignalingServer, hangs its upgrade listener on Node-RED's server, feeds it the input
 * msgs, and turns its callbacks into output msgs and a status. The protocol is docs/signaling-protocol.md.
 */
import type { Server } from 'node:http';
import type { NodeDef, NodeMessage } from 'node-red';
import {
  iceServerProvider,
  parseTrustedProxies,
  sharedSwarmRegistry,
  SignalingServer,
  type BuiltInStun,
  type IcePeer,
  type RedisSwarmRegistry,
  type SignalingServerOptions,
  type SupporterVerifier,
  type VerifyClient,
} from '../../lib/signaling';
import { RelaycastError } from '../../lib/errors';
import type { HttpSettings } from '../../lib/http';
import type { LatencyMode } from '../../lib/protocol';
import type { SwarmProbe } from '../../lib/telemetry/probes';
import type { RedisConfigNode } from '../redis/redis-api';
import { httpNodeRoot, onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { registerNodeType, type RelaycastRED } from '../shared/node-types';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import type { SignalingNodeApi } from './signaling-api';
import { normalizeViewerPath, serveViewerPage } from './viewer-page';
import { acquireStun, type StunHandle } from '../../lib/stun';
import { SharedSupporters } from '../../lib/signaling/shared-supporters';
import { anyVerifier, supporterTokenList, tokenDigest, type SupporterTokenList } from '../../lib/signaling/supporters';
import { appendCredentialLine, assertLinesEditable } from '../shared/credential-lines';
import {
  iceModeFromConfig,
  latencyFromConfig,
  iceServersFromConfig,
  limitsFromConfig,
  normalizePath,
  publicHostFromConfig,
  statsIntervalMs,
  stunPortFromConfig,
  turnTtlSeconds,
  type SignalingConfig,
} from './config';

type SignalingNodeDef = NodeDef &
  SignalingConfig & {
    /** id of a relaycast-redis config node: share swarms with other instances through it. */
    redis?: string;
  };

/** The runtime settings this node reads beyond Node-RED's own: the operator's hooks. */
interface SignalingSettings {
  relaycastSignalingVerifyClient?: VerifyClient;
  relaycastSignalingVerifySupporter?: SupporterVerifier;
  /** Another credential scheme: the ICE servers for one joining peer (sync). */
  relaycastSignalingIceServers?: (peer: IcePeer) => unknown;
}

const STATUS_REFRESH_MS = 1000;
const CONFIG_CODE = 'E_SIGNAL_CONFIG';

export = function (RED: RelaycastRED<SignalingSettings & HttpSettings>) {
  /** Full paths in use by signaling nodes of this runtime (duplicate paths are a config error). */
  const pathsInUse = new Map<string, string>();

  function SignalingNode(this: SignalingNodeApi, config: SignalingNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = RED.settings;
    // Absent under some embedders and the test helper, whatever @types/node-red says.
    const httpServer: Server | undefined = RED.server ?? undefined;
    const credentials = node.credentials ?? {};
    const warn = (text: string): void => node.warn(text);

    /** With a relaycast-redis config: the registry shared with the other instances. */
    let registry: RedisSwarmRegistry | undefined;
    let redisNode: RedisConfigNode | undefined;
    /** With a relaycast-redis config and a token list: the tokens every instance issued, by digest. */
    let issuedElsewhere: SharedSupporters | undefined;
    const dropRegistry = async (): Promise<void> => {
      const [shared, owner] = [registry, redisNode];
      registry = undefined;
      redisNode = undefined;
      issuedElsewhere?.close();
      issuedElsewhere = undefined;
      await shared?.close();
      await owner?.deregister(node);
    };
    /** The one start rule (refuseToStart), with this node's catalog texts; what was acquired is let go on close. */
    const cannotStart = (err: unknown, status: string, log: (message: string) => string): void => {
      refuseToStart(node, err, { code: CONFIG_CODE, status, log: log(err instanceof Error ? err.message : String(err)) });
      onCloseAsync(node, dropRegistry);
    };

    let statusStale = true;
    let probe: SwarmProbe | undefined;
    /** The built-in STUN responder (iceMode 'relaycast'), shared with other nodes on its port. */
    let stun: StunHandle | undefined;
    let stunProblem: RelaycastError | undefined;
    let builtIn: BuiltInStun | undefined;
    let fullPath: string;
    /** The node's own supporter tokens, unless the operator's verify hook checks them. */
    let tokenList: SupporterTokenList | undefined;
    let statsEvery: number;
    let latency: LatencyMode;
    let options: Omit<SignalingServerOptions, 'path'>;
    try {
      fullPath = httpNodeRoot(settings) + normalizePath(config.path);
      statsEvery = statsIntervalMs(config);
      latency = latencyFromConfig(config);
      const limits = limitsFromConfig(config);
      // Checked even without a secret: the editor marks a bad TTL either way, so the deploy refuses it too.
      const ttlSeconds = turnTtlSeconds(config);
      const turn = credentials.turnSecret ? { turnSecret: credentials.turnSecret, ttlSeconds } : undefined;
      const configured = iceServersFromConfig(config, credentials);
      if (!turn && configured.some((server) => server.credential !== undefined)) node.warn(RED._('signaling.errors.staticTurn'));
      const iceMode = iceModeFromConfig(config);
      // Checked in every mode, as the editor marks them in every mode.
      const stunPort = stunPortFromConfig(config);
      const publicHost = publicHostFromConfig(config);
      if (iceMode === 'relaycast') builtIn = { port: stunPort, publicHost, listening: () => stun?.listening() ?? false };
      // The operator's verify hook when there is one, else the node's token list, which the editor's
      // invite can add to while it runs (issueSupporterToken, through relaycast-payout).
      const hook = settings.relaycastSignalingVerifySupporter;
      tokenList = supporterTokenList(hook, credentials.supporterTokens);
      // Clustered over Redis, a token issued on another instance is admitted here too (shared-supporters.ts).
      const verifySupporter = tokenList
        ? anyVerifier(tokenList.verify, (token, swarm) => issuedElsewhere?.verify(token, swarm) ?? null)
        : (hook as SupporterVerifier);
      // Offered to relaycast-payout (signaling-api.ts), which checks summary tokens against it.
      node.verifySupporter = verifySupporter;
      const list = tokenList;
      if (list)
        node.issueSupporterToken = async (supporterId) => {
          assertLinesEditable(RED.nodes, node.id, 'supporterTokens');
          const issued = list.issue(supporterId);
          await appendCredentialLine(RED.nodes, node.id, 'supporterTokens', issued.line);
          await issuedElsewhere?.share(tokenDigest(issued.token), supporterId);
          return issued.token;
        };
      options = {
        trustedProxies: parseTrustedProxies(config.trustedProxies),
        verifyClient: settings.relaycastSignalingVerifyClient,
        coordinator: {
          limits,
          iceServers: iceServerProvider({ mode: iceMode, builtIn, configured, turn, hook: settings.relaycastSignalingIceServers, warn }),
          verifySupporter,
          networkTagKey: credentials.networkTagKey || undefined,
          onSwarmEvent: (event) => {
            probe?.peers(event.stream, event.rendition, event.swarmPeers);
            emit(0, { topic: 'swarm', payload: event });
            statusStale = true;
          },
          onReceipt: (receipt) => emit(1, { topic: 'receipt', payload: receipt }),
          onAudit: (event) => emit(2, { topic: 'audit', payload: event }),
        },
        sent: (stream, bytes) => probe?.sent(stream, bytes),
        disconnected: () => {
          statusStale = true;
        },
        warn,
      };
    } catch (err) {
      cannotStart(err, 'signaling.status.config', (message) => RED._('signaling.errors.config', { message }));
      return;
    }
    if (!httpServer) {
      cannotStart(new RelaycastError('E_SIGNAL_NO_SERVER', 'Node-RED has no HTTP server to share'), 'signaling.status.noServer', () =>
        RED._('signaling.errors.noServer'),
      );
      return;
    }
    if (pathsInUse.has(fullPath)) {
      cannotStart(
        new RelaycastError('E_SIGNAL_DUPLICATE_PATH', `another relaycast-signaling node already listens on ${fullPath}`),
        'signaling.status.duplicate',
        () => RED._('signaling.errors.duplicatePath', { path: fullPath }),
      );
      return;
    }
    let server: SignalingServer;
    try {
      if (config.redis) {
        const configNode = RED.nodes.getNode(config.redis) as RedisConfigNode | null;
        if (!configNode || typeof configNode.register !== 'function')
          throw new RelaycastError(CONFIG_CODE, 'the selected relaycast-redis configuration does not exist');
        const pair = configNode.register(node);
        redisNode = configNode;
        const list = tokenList;
        if (list)
          issuedElsewhere = new SharedSupporters(
            pair,
            fullPath,
            () => list.digests(),
            (err) => node.warn(RED._('signaling.errors.redis', { message: err.message })),
          );
        registry = sharedSwarmRegistry(pair, {
          namespace: fullPath,
          limits: options.coordinator.limits ?? {},
          livenessTtlMs: configNode.livenessTtlMs,
          onState: () => {
            statusStale = true;
          },
          onError: (err) => node.warn(RED._('signaling.errors.redis', { message: err.message })),
        });
      }
      server = new SignalingServer({ ...options, path: fullPath, coordinator: { ...options.coordinator, registry } });
    } catch (err) {
      cannotStart(err, 'signaling.status.config', (message) => RED._('signaling.errors.config', { message }));
      return;
    }

    pathsInUse.set(fullPath, node.id);
    if (builtIn) {
      // A port that cannot be bound costs the viewers their STUN entry, not the swarm: logged once, shown in the status.
      stun = acquireStun(builtIn.port, (err) => {
        statusStale = true;
        if (stunProblem) return;
        stunProblem = err;
        // A warning, as for Redis down: the node serves on, with less.
        node.warn(`${err.code}: ${RED._('signaling.errors.stunPort', { message: err.message })}`);
      });
    }
    const coordinator = server.coordinator;
    const telemetry = telemetryOf(RED);
    probe = telemetry.swarm(nodeRef(node, 'relaycast-signaling'), () => coordinator.audienceSummary());

    function emit(port: 0 | 1 | 2, msg: NodeMessage): void {
      const out: Array<NodeMessage | null> = [null, null, null];
      out[port] = msg;
      node.send(out);
    }

    httpServer.on('upgrade', server.upgrade);

    let removeViewerPage: (() => void) | undefined;
    /** Where the viewer page is served ('' for none): what an invite's link names. */
    let viewerRoute = '';
    try {
      const viewerPath = normalizeViewerPath(config.viewerPath);
      const master = (config.viewerMaster ?? '').trim() || 'master.m3u8';
      if (viewerPath !== '' && settings.httpNodeRoot !== false) {
        removeViewerPage = serveViewerPage(RED.httpNode, settings, {
          nodeId: node.id,
          viewerPath,
          signalingPath: fullPath,
          root: httpNodeRoot(settings),
          master,
          latency,
          startRendition: (stream) => coordinator.startRendition(stream),
          playlists: (stream, rendition) => coordinator.playlistsFor(stream, rendition),
          failed: (err) => node.error(err instanceof Error ? err.message : String(err)),
        });
        viewerRoute = httpNodeRoot(settings) + viewerPath;
      }
    } catch (err) {
      // The swarm works without the page; say why there is none.
      node.warn(RED._('signaling.errors.viewer', { message: err instanceof Error ? err.message : String(err) }));
    }

    node.inviteTarget = { signalingPath: fullPath, viewerPath: viewerRoute, renditions: (stream) => coordinator.renditionsOf(stream) };

    const showStatus = (): void => {
      if (stunProblem && (!registry || registry.connected)) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('signaling.status.stunDown', { count: coordinator.peerCount(), port: builtIn?.port ?? '' }) });
      } else if (!registry) {
        node.status({ fill: 'green', shape: 'dot', text: RED._('signaling.status.peers', { count: coordinator.peerCount() }) });
      } else if (registry.connected) {
        node.status({
          fill: 'green',
          shape: 'dot',
          text: RED._('signaling.status.peersHere', { count: coordinator.peerCount(), local: registry.localPeers() }),
        });
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

    onInputAsync(
      node,
      async (msg) => server.input(msg),
      () => {
        node.status({ fill: 'red', shape: 'ring', text: 'signaling.status.badInput' });
        statusStale = true; // the peer count returns at the next refresh
      },
    );

    onCloseAsync(node, async () => {
      telemetry.remove(node.id, probe);
      clearInterval(statusTimer);
      if (statsTimer) clearInterval(statsTimer);
      httpServer.removeListener('upgrade', server.upgrade);
      removeViewerPage?.();
      server.close();
      if (pathsInUse.get(fullPath) === node.id) pathsInUse.delete(fullPath);
      node.status({});
      await stun?.release();
      // This instance's peers leave Redis at once (the others drop them without waiting for the TTL).
      await dropRegistry();
    });
  }

  registerNodeType(RED, 'relaycast-signaling', SignalingNode, {
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
  });
};
