/**
 * Renders a stream's Master Playlist from the renditions that have listed at least one segment.
 * BANDWIDTH / AVERAGE-BANDWIDTH are measured; CODECS, RESOLUTION and FRAME-RATE come from the
 * encoder's master playlist (segment.variant). When nothing was measured yet the encoder's nominal
 * BANDWIDTH stands in, since BANDWIDTH is REQUIRED.
 */
import { measureBandwidth, type MeasuredBandwidth } from './bandwidth';
import type { RenditionState } from './rendition';

export function renderMasterPlaylist(
  renditions: readonly RenditionState[],
  variantUri: (r: RenditionState) => string,
  bandwidthOf: (r: RenditionState) => MeasuredBandwidth | undefined = (r) => measureBandwidth(r.entries),
): string | undefined {
  const playable = renditions.filter((r) => r.entries.some((e) => !e.gap)).sort((a, b) => a.order - b.order);
  // A rendition that ended while others go on (it left the encoder) is not offered any more; a
  // finished stream offers all of them, as a VOD.
  const live = playable.filter((r) => !r.ended);
  const listed = live.length > 0 ? live : playable;
  if (listed.length === 0) return undefined;
  const lines = ['#EXTM3U'];
  for (const r of listed) {
    const measured = bandwidthOf(r);
    const peak = measured?.peak ?? r.variant?.bandwidth ?? 1;
    const attributes = [`BANDWIDTH=${peak}`];
    if (measured) attributes.push(`AVERAGE-BANDWIDTH=${Math.min(measured.average, peak)}`);
    if (r.variant?.codecs) attributes.push(`CODECS="${r.variant.codecs}"`);
    if (r.variant?.resolution) attributes.push(`RESOLUTION=${r.variant.resolution.width}x${r.variant.resolution.height}`);
    if (r.variant?.frameRate) attributes.push(`FRAME-RATE=${r.variant.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variantUri(r));
  }
  return lines.join('\n') + '\n';
}
