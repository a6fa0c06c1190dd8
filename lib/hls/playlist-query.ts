/** The query parameters a playlist URL may carry: one rule for manifest's server and the viewer's loader. */

function queryOf(url: string | undefined): URLSearchParams | undefined {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  return q < 0 ? undefined : new URLSearchParams(raw.slice(q + 1));
}

/**
 * Which presentation a media request asks for: `?presentation=N` (a later one, linked from the
 * master once an earlier one ended), 0 without it; undefined (404) when it is not a number.
 */
export function presentationOf(url: string | undefined): number | undefined {
  const value = queryOf(url)?.get('presentation') ?? null;
  if (value === null) return 0;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** `_HLS_msn` / `_HLS_part` query directives (rfc8216bis §6.2.5.2), or undefined when absent. */
export function blockingReloadDirective(url: string | undefined): { msn?: string; part?: string } | undefined {
  const params = queryOf(url);
  if (!params) return undefined;
  const msn = params.get('_HLS_msn') ?? undefined;
  const part = params.get('_HLS_part') ?? undefined;
  return msn === undefined && part === undefined ? undefined : { msn, part };
}
