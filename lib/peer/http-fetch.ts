/**
 * Segment bytes over HTTP (R2 or any origin), a byte range of it handed to the caller as it arrives:
 * what peers started and could not finish resumes here with a Range request instead of starting
 * over, and the caller keeps any bytes peers already delivered inside the range. Streams the body
 * when the platform can, so progress is reported as it arrives and a stalled response is noticed.
 */
import type { FetchLike } from './platform';

export class HttpFetchError extends Error {
  constructor(
    readonly code: 'E_HTTP_STATUS' | 'E_HTTP_SIZE' | 'E_HTTP_NETWORK' | 'E_HTTP_ABORTED',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RangeFetch {
  url: string;
  /** The whole object's size (announced): a response that runs past it is refused. */
  size: number;
  /** Bytes [start, end) are fetched; end defaults to size. */
  start: number;
  end?: number;
  signal?: AbortSignal;
  /** Each chunk of the range, in order, with the offset it starts at. */
  write(offset: number, bytes: Uint8Array): void;
}

/** Fetches bytes [start, end) and hands them to write(); resolves with the number of bytes fetched. */
export async function fetchRange(fetch: FetchLike, request: RangeFetch): Promise<number> {
  const { url, size, start, signal } = request;
  const end = request.end ?? size;
  const headers: Record<string, string> = start > 0 || end < size ? { Range: `bytes=${start}-${end - 1}` } : {};
  let response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (err) {
    if (signal?.aborted) throw new HttpFetchError('E_HTTP_ABORTED', 'aborted');
    throw new HttpFetchError('E_HTTP_NETWORK', `GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (response.status !== 200 && response.status !== 206) {
    throw new HttpFetchError('E_HTTP_STATUS', `GET ${url}: HTTP ${response.status}`, response.status);
  }
  // A server that ignores Range answers 200 with the whole object: skip what we already have, and
  // stop reading once the range is in.
  const whole = response.status === 200;
  let skip = whole ? start : 0;
  let position = start;
  const write = (chunk: Uint8Array): void => {
    let part = chunk;
    if (skip > 0) {
      const dropped = Math.min(skip, part.byteLength);
      skip -= dropped;
      part = part.subarray(dropped);
    }
    if (whole && position + part.byteLength > end && end < size) part = part.subarray(0, Math.max(0, end - position));
    if (part.byteLength === 0) return;
    if (position + part.byteLength > end) throw new HttpFetchError('E_HTTP_SIZE', `GET ${url}: more bytes than the announced ${size}`);
    request.write(position, part);
    position += part.byteLength;
  };
  try {
    const reader = response.body?.getReader?.();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value) write(value);
        if (position === end && whole && end < size) {
          void reader.cancel().catch(() => undefined);
          break;
        }
      }
    } else {
      write(new Uint8Array(await response.arrayBuffer()));
    }
  } catch (err) {
    if (err instanceof HttpFetchError) throw err;
    if (signal?.aborted) throw new HttpFetchError('E_HTTP_ABORTED', 'aborted');
    throw new HttpFetchError('E_HTTP_NETWORK', `GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (position !== end) throw new HttpFetchError('E_HTTP_SIZE', `GET ${url}: got ${position - start} of ${end - start} bytes`);
  return position - start;
}

/** A whole object whose size is not known in advance (init segments, playlists). */
export async function fetchWhole(fetch: FetchLike, url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    if (signal?.aborted) throw new HttpFetchError('E_HTTP_ABORTED', 'aborted');
    throw new HttpFetchError('E_HTTP_NETWORK', `GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) throw new HttpFetchError('E_HTTP_STATUS', `GET ${url}: HTTP ${response.status}`, response.status);
  return response.arrayBuffer();
}
