/**
 * Publishes the telemetry snapshot to the editor over RED.comms once a second, the way the core
 * Debug node publishes to its sidebar. The editor's comms socket delivers a topic only to
 * connections that passed adminAuth (when it is set), so only signed-in editor users see it.
 * Retained, so an editor opened later gets the latest figures at once.
 */
import type { NodeAPI } from 'node-red';
import type { TelemetryRegistry } from '../../lib/telemetry/registry';

export const TELEMETRY_TOPIC = 'relaycast/telemetry';
export const FEED_INTERVAL_MS = 1000;

export function startTelemetryFeed(RED: NodeAPI, registry: TelemetryRegistry, intervalMs = FEED_INTERVAL_MS): () => void {
  let idle = false;
  const timer = setInterval(() => {
    try {
      // Nothing running: one empty snapshot tells the sidebar, then silence.
      if (registry.size === 0 && idle) return;
      idle = registry.size === 0;
      RED.comms.publish(TELEMETRY_TOPIC, registry.snapshot(), true);
    } catch (err) {
      // A timer that throws would take Node-RED down: log once per failure instead.
      RED.log.warn(`relaycast telemetry: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
