/**
 * Relaycast for any hls.js page:
 *
 *   const relaycast = relaycastHlsConfig({ signalingUrl: 'wss://example.org/relaycast/signal' });
 *   const hls = new Hls(relaycast.config);
 *   relaycast.session.attach(hls);   // optional: buffer-aware deadlines, stalls and latency in stats
 *
 * The returned config holds the loaders and the live sync distance, set before hls.js picks its
 * start position; keys the page sets itself win.
 */
import type { HlsConfig } from 'hls.js';
import { fragmentLoaderClass } from './fragment-loader';
import type { RelaycastOptions } from './options';
import { playlistLoaderClass } from './playlist-loader';
import { RelaycastSession } from './session';
import { liveSyncConfig } from '../../lib/protocol/latency-mode';

export type { RelaycastOptions } from './options';
export type { RelaycastStats, RelaycastEngine } from './session';
export { RelaycastSession };

/**
 * hls.js's own config type in and out (type-only: hls.js stays the page's). The published
 * declarations (viewer/types/) state the same signature; viewer/types/check.ts keeps them in step.
 */
export function relaycastHlsConfig(
  options: RelaycastOptions,
  hlsConfig: Partial<HlsConfig> = {},
): {
  config: Partial<HlsConfig>;
  session: RelaycastSession;
} {
  const session = new RelaycastSession(options);
  if (typeof location !== 'undefined') session.startEarly(location.href);
  const config: Partial<HlsConfig> = {
    ...liveSyncConfig(options.latency),
    ...(options.liveSyncDurationCount !== undefined ? { liveSyncDurationCount: options.liveSyncDurationCount } : {}),
    ...hlsConfig,
    fLoader: fragmentLoaderClass(session),
    pLoader: playlistLoaderClass(session),
  };
  return { config, session };
}
