/** Configuration of the playlist core, with the defaults the node editor offers. */
import { RelaycastError } from '../errors';
import type { ResendRequest } from '../pipeline/delivery-receipts';
import type { ListingReporter } from '../pipeline/playlist-listings';

export type GapMode = 'gap' | 'discontinuity';

export interface ManifestOptions {
  /** Minimum number of segments a live window keeps (it also never drops under 3 × target duration). */
  windowSegments: number;
  /** Keep every segment (DVR); on stream end the playlist is then a complete VOD. */
  dvr: boolean;
  /**
   * Target duration in whole seconds, fixed for the stream. 0 = choose it from the first segment of
   * the stream: the larger of the encoder's EXT-X-TARGETDURATION it carries and the ceil of its
   * duration. Set it when the encoder only learns its bound as it goes (ffmpeg raises its target as
   * longer segments appear), so later longer segments still fit.
   */
  targetDuration: number;
  /**
   * How a segment that could not be delivered is marked: 'gap' = EXT-X-GAP entry (needs version 8,
   * keeps media sequence numbers aligned across renditions); 'discontinuity' = leave it out and put
   * EXT-X-DISCONTINUITY on the next segment (widest player support; single-rendition streams).
   */
  gapMode: GapMode;
  /**
   * Advertise blocking playlist reload (EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES); the HTTP layer
   * must then hold `_HLS_msn` requests (rfc8216bis §6.2.5.2).
   */
  blockingReload: boolean;
  /**
   * How long the encoder's ENDLIST is held before it is published, in seconds; undefined = 3 ×
   * the target duration. An encoder that reconnects inside it (OBS does, within seconds) continues
   * the same playlist with a discontinuity, instead of ending the stream for every viewer: a
   * player that has seen ENDLIST stops for good. 0 = publish at once.
   */
  endGraceSeconds?: number;
  /** Told which stored objects the playlists list and when one leaves (r2-upload's cleanup asks). */
  listings?: ListingReporter;
  /**
   * Asked before listing a first copy (not `redelivered`) that skips sequences of the current
   * session: whether its deliverer will send the missing ones and it again (lib/pipeline/delivery-receipts.ts,
   * after a partial deploy). Absent: such a copy is listed at once, after a discontinuity.
   */
  resendRequest?: (stream: string, request: ResendRequest) => boolean;
  /** Accept only these streams / renditions (empty = any). */
  streams: string[];
  renditions: string[];
  /** URI of a rendition's playlist as written in the master playlist (relative to the master). */
  variantUri: (stream: string, rendition: string) => string;
  /** Wall clock in ms; injectable so tests are deterministic. */
  clock: () => number;
}

/** The grace in target durations when none is configured. */
export const DEFAULT_END_GRACE_TARGET_DURATIONS = 3;

export const DEFAULT_OPTIONS: ManifestOptions = {
  windowSegments: 6,
  dvr: false,
  targetDuration: 0,
  gapMode: 'gap',
  blockingReload: false,
  streams: [],
  renditions: [],
  variantUri: (_stream, rendition) => `${rendition}.m3u8`,
  clock: () => Date.now(),
};

export function resolveOptions(partial: Partial<ManifestOptions> = {}): ManifestOptions {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  if (!Number.isInteger(options.windowSegments) || options.windowSegments < 3 || options.windowSegments > 10000) {
    throw new RelaycastError('E_MANIFEST_CONFIG', `window must be a whole number of segments between 3 and 10000, got ${options.windowSegments}`);
  }
  if (!Number.isInteger(options.targetDuration) || options.targetDuration < 0 || options.targetDuration > 60) {
    throw new RelaycastError('E_MANIFEST_CONFIG', `target duration must be 0 (auto) or whole seconds up to 60, got ${options.targetDuration}`);
  }
  if (options.endGraceSeconds !== undefined && !(Number.isFinite(options.endGraceSeconds) && options.endGraceSeconds >= 0 && options.endGraceSeconds <= 3600)) {
    throw new RelaycastError(
      'E_MANIFEST_CONFIG',
      `end grace must be seconds between 0 and 3600 (or empty for 3 × target duration), got ${options.endGraceSeconds}`,
    );
  }
  if (options.gapMode !== 'gap' && options.gapMode !== 'discontinuity') {
    throw new RelaycastError('E_MANIFEST_CONFIG', `gap mode must be 'gap' or 'discontinuity', got ${String(options.gapMode)}`);
  }
  return options;
}
