/**
 * Segment bytes over HTTP (R2 or any origin), from a byte offset to the end, written straight into
 * the segment's buffer: a transfer that peers started and could not finish resumes here with a
 * Range request instead of starting over. Streams the body when the platform can, so progress is
 * reported as it arrives and a stalled response is noticed.
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
  /** The whole segment's buffer; bytes [start, buffer.length) are fetched into it. */
  buffer: Uint8Array;
  start: number;
  signal?: AbortSignal;
  /** Called after each chunk with the new end of the filled prefix. */
  onProgress?(filledTo: number): void;
}

/** Fetches bytes [start, end) into buffer; resolves with the number of bytes written. */
export async function fetchRange(fetch: FetchLike, request: RangeFetch): Promise<number> {
  const { url, buffer, start, signal } = request;
  const size = buffer.byteLength;
  const headers: Record<string, string> = start > 0 ? { Range: `bytes=${start}-${size - 1}` } : {};
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
  // A server that ignores Range answers 200 with the whole object: skip what we already have.
  let skip = response.status === 200 ? start : 0;
  let position = start;
  const write = (chunk: Uint8Array): void => {
    let part = chunk;
    if (skip > 0) {
      const dropped = Math.min(skip, part.byteLength);
      skip -= dropped;
      part = part.subarray(dropped);
    }
    if (part.byteLength === 0) return;
    if (position + part.byteLength > size) throw new HttpFetchError('E_HTTP_SIZE', `GET ${url}: more bytes than the announced ${size}`);
    buffer.set(part, position);
    position += part.byteLength;
    request.onProgress?.(position);
  };
  try {
    const reader = response.body?.getReader?.();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value) write(value);
      }
    } else {
      write(new Uint8Array(await response.arrayBuffer()));
    }
  } catch (err) {
    if (err instanceof HttpFetchError) throw err;
    if (signal?.aborted) throw new HttpFetchError('E_HTTP_ABORTED', 'aborted');
    throw new HttpFetchError('E_HTTP_NETWORK', `GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (position !== size) throw new HttpFetchError('E_HTTP_SIZE', `GET ${url}: got ${position} of ${size} bytes`);
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
