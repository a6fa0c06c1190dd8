/**
 * The Relaycast editor plugin: the sidebar tab (relaycast-sidebar.html, built with its bundled
 * editor code) and, on the runtime side, the telemetry registry with its admin routes and comms
 * feed, so the endpoint and the tab exist even before a Relaycast node is deployed.
 */
import type { NodeAPI } from 'node-red';
import { telemetryOf } from '../shared/telemetry';

export = function (RED: NodeAPI) {
  RED.plugins.registerPlugin('relaycast-sidebar', { type: 'relaycast-editor-sidebar' });
  telemetryOf(RED);
};
