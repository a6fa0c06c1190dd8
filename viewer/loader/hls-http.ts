/**
 * HTTP the way plain hls.js does it: the load is handed to hls.js's own loader class (`loader` in the
 * config hls.js was built with, XhrLoader unless the page chose another), so timeouts, the retries
 * of `manifestLoadPolicy`, `xhrSetup`/`fetchSetup` and the error events are exactly plain hls.js's.
 * hls.js holds our loader's stats object, so the delegate writes into that same object.
 */
import type { HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import { resetLoaderStats } from './loader-stats';

/** The config hls.js constructs our loaders with; its `loader` is the class plain hls.js uses. */
export type HlsLoaderConfig = HlsConfig;

export class NoHlsLoaderError extends Error {
  readonly code = 'E_RELAYCAST_NO_HLS_LOADER';
  constructor() {
    super('hls.js did not pass its config (with its `loader` class) to the Relaycast loader');
  }
}

export function loadWithHlsLoader<C extends LoaderContext>(
  hlsConfig: HlsLoaderConfig,
  stats: LoaderStats,
  context: C,
  config: LoaderConfiguration,
  callbacks: LoaderCallbacks<C>,
): Loader<C> {
  const Http = hlsConfig.loader as (new (config: HlsConfig) => Loader<C>) | undefined;
  if (!Http) throw new NoHlsLoaderError();
  const loader = new Http(hlsConfig);
  // A fresh start: hls.js's loaders refuse a stats object whose load already started.
  loader.stats = resetLoaderStats(stats);
  loader.load(context, config, callbacks);
  return loader;
}
