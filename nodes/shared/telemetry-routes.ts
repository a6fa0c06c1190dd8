/**
 * The operator's telemetry on Node-RED's admin HTTP (RED.httpAdmin, under httpAdminRoot), guarded
 * like the editor's own routes: with adminAuth set, only a token with the `relaycast.read`
 * permission (any user with `read` or `*`) gets through; Prometheus scrapes with a bearer token
 * from adminAuth's `tokens` hook (README, "Metrics"). Installed once per admin app.
 *   GET <httpAdminRoot>/relaycast/metrics    Prometheus text exposition (lib/telemetry/prometheus.ts)
 *   GET <httpAdminRoot>/relaycast/telemetry  the same snapshot as JSON (what the sidebar receives)
 */
import type { Express, Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import type { TelemetryRegistry } from '../../lib/telemetry/registry';
import { TelemetryMetrics } from '../../lib/telemetry/prometheus';

export const METRICS_PATH = '/relaycast/metrics';
export const TELEMETRY_PATH = '/relaycast/telemetry';
export const TELEMETRY_PERMISSION = 'relaycast.read';

/** Admin app → the registry its routes read (the latest one, should a runtime make another). */
const served = new WeakMap<object, { registry: TelemetryRegistry; metrics: TelemetryMetrics }>();

export function installTelemetryRoutes(RED: NodeAPI, registry: TelemetryRegistry): void {
  // Absent when an embedder turns the admin API off, whatever the types say.
  const app: Express | undefined = RED.httpAdmin;
  if (!app || typeof app.get !== 'function') return;
  const existing = served.get(app);
  if (existing?.registry === registry) return;
  served.set(app, { registry, metrics: new TelemetryMetrics(() => registry.snapshot()) });
  if (existing) return; // routes already there; they read the map

  const permission = RED.auth.needsPermission(TELEMETRY_PERMISSION);
  const fail = (res: Response, err: unknown): void => {
    // A handler must never throw past Express: answer 500 with the reason, no stack.
    try {
      res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
    } catch {
      /* reply already under way */
    }
  };
  app.get(METRICS_PATH, permission, (_req: Request, res: Response) => {
    const entry = served.get(app)!;
    entry.metrics.render().then(
      (text) => res.set('Content-Type', entry.metrics.contentType).set('Cache-Control', 'no-store').send(text),
      (err: unknown) => fail(res, err),
    );
  });
  app.get(TELEMETRY_PATH, permission, (_req: Request, res: Response) => {
    try {
      res.set('Cache-Control', 'no-store').json(served.get(app)!.registry.snapshot());
    } catch (err) {
      fail(res, err);
    }
  });
}
