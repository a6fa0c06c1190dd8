/**
 * The one telemetry registry of a Node-RED runtime (lib/telemetry), shared by every Relaycast node
 * whatever node set it came from: each node set gets its own RED object, but all share RED.events,
 * so the registry is keyed on that. The admin routes and the editor feed (telemetry-routes.ts,
 * telemetry-feed.ts) start with the first registry and read it on demand.
 */
import type { Node, NodeAPI } from 'node-red';
import { TelemetryRegistry } from '../../lib/telemetry/registry';
import type { NodeRef } from '../../lib/telemetry/probes';
import { installTelemetryRoutes } from './telemetry-routes';
import { startTelemetryFeed } from './telemetry-feed';

const registries = new WeakMap<object, TelemetryRegistry>();

export function telemetryOf(RED: NodeAPI): TelemetryRegistry {
  // Absent under some embedders, whatever the types say: then this RED is the key.
  const key: object = RED.events ?? RED;
  let registry = registries.get(key);
  if (!registry) {
    registry = new TelemetryRegistry();
    registries.set(key, registry);
    startTelemetryFeed(RED, registry);
  }
  installTelemetryRoutes(RED, registry);
  return registry;
}

/** How a figure names its node (the editor reveals the node by this id). */
export function nodeRef(node: Node, type: string): NodeRef {
  return { id: node.id, type, name: node.name ?? '' };
}
