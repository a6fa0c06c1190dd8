/**
 * relaycast-supporter: a friend's headless supporter peer inside their own Node-RED. A thin shell
 * over lib/supporter (the viewer's peer engine on the Node platform): it maps the config and the
 * token credential onto a Supporter, turns it on and off by msg, shows its figures as a status and
 * sends them as periodic stats msgs. The token lives only in credentials and in the engine's join
 * frame: no status, msg, log line or error carries it.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toRelaycastError } from '../../lib/errors';
import { loadWebRtc, nodePlatform } from '../../lib/supporter/node-platform';
import { checkToken, parseSettings, supporterNumber, type RawSettings } from '../../lib/supporter/config';
import { Supporter, type SupporterStats } from '../../lib/supporter/supporter';
import { onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { registerNodeType } from '../shared/node-types';
import { commandOf, formatBytes } from './command';

interface SupporterConfig extends RawSettings {
  statsEvery?: unknown;
  autoStart?: unknown;
}
interface SupporterCredentials {
  token?: string;
}

const STATUS_REFRESH_MS = 1000;

export = function (RED: NodeAPI) {
  function SupporterNode(this: Node<SupporterCredentials>, config: NodeDef & SupporterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    let supporter: Supporter;
    let statsEveryMs: number;
    try {
      const settings = parseSettings(config);
      statsEveryMs = supporterNumber(config.statsEvery, 'statsEvery') * 1000;
      const token = checkToken(node.credentials?.token);
      loadWebRtc(); // fail at deploy, with E_SUPPORTER_WEBRTC, where the binary is missing
      supporter = new Supporter({ platform: nodePlatform(), settings, token });
    } catch (err) {
      const error = toRelaycastError(err, 'E_SUPPORTER_CONFIG');
      refuseToStart(node, error, { code: error.code, status: RED._('supporter.status.error', { code: error.code }) });
      onCloseAsync(node, () => node.status({}));
      return;
    }

    const showStatus = (s: SupporterStats): void => {
      if (!s.running) {
        node.status({ fill: 'grey', shape: 'ring', text: RED._('supporter.status.off') });
        return;
      }
      if (s.refused) {
        node.status({ fill: 'red', shape: 'ring', text: RED._('supporter.status.refused') });
        return;
      }
      if (!s.swarms.some((w) => w.joined)) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('supporter.status.connecting') });
        return;
      }
      const credit = s.verifiedBytes !== undefined ? ` ✔${formatBytes(s.verifiedBytes)}` : '';
      node.status({ fill: 'green', shape: 'dot', text: `${s.peers}p ↑${formatBytes(s.uploadedBytes)}${credit}` });
    };
    const statsMsg = (): NodeMessage => ({ topic: 'stats', payload: supporter.stats() });

    supporter.on('refused', (code, swarm) => node.warn(RED._('supporter.log.refused', { code, stream: swarm.stream, rendition: swarm.rendition })));
    supporter.on('joined', (swarm) => node.log(RED._('supporter.log.joined', { stream: swarm.stream, rendition: swarm.rendition })));
    supporter.on('error', (err) => node.debug(`supporter: ${toRelaycastError(err).message}`));
    const refreshTimer = setInterval(() => showStatus(supporter.stats()), STATUS_REFRESH_MS);
    const statsTimer = setInterval(() => {
      if (supporter.running) node.send(statsMsg());
    }, statsEveryMs);
    if (config.autoStart !== false && config.autoStart !== 'false') supporter.start();
    showStatus(supporter.stats());

    onInputAsync(
      node,
      async (msg, send) => {
        const command = commandOf(msg);
        if (command === 'on') supporter.start();
        else if (command === 'off') supporter.stop();
        else if (command === 'credit') await supporter.readCredit();
        showStatus(supporter.stats());
        if (command === 'stats' || command === 'credit') send(statsMsg());
      },
      (err) => node.status({ fill: 'red', shape: 'ring', text: RED._('supporter.status.error', { code: err.code }) }),
    );

    onCloseAsync(node, () => {
      clearInterval(statsTimer);
      clearInterval(refreshTimer);
      supporter.close();
      node.status({});
    });
  }

  registerNodeType(RED, 'relaycast-supporter', SupporterNode, {
    credentials: { token: { type: 'password' } },
  });
};
