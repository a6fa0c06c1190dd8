/**
 * The p2p-media-loader baseline page reaches the origin through its own server (/origin/…), as an
 * operator serving the player beside the playlists would, so the origin needs no CORS.
 */
import http from 'node:http';

/**
 * p2p-media-loader 2.3 keys each stream by its media playlist URL and looks up every playlist
 * update by the URL hls.js got it from. With blocking reload (EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD,
 * which Relaycast's manifest node advertises) hls.js asks for `index.m3u8?_HLS_msn=…`, the lookup
 * misses, and after the first playlist every segment quietly bypasses P2P (measured: 0 % from peers,
 * peers connected). An operator of p2p-media-loader serves plain live playlists, so the pass-through
 * drops that one attribute and the player polls instead.
 */
export function withoutBlockingReload(playlist: string): string {
  return playlist
    .split('\n')
    .map((line) => (line.startsWith('#EXT-X-SERVER-CONTROL:') ? line.replace(/CAN-BLOCK-RELOAD=YES,?/, '').replace(/,$/, '') : line))
    .filter((line) => line.trim() !== '#EXT-X-SERVER-CONTROL:')
    .join('\n');
}

/** Forwards a page request under /origin/ to the origin: playlists without blocking reload, the rest unchanged. */
export function passThrough(origin: URL, req: http.IncomingMessage, res: http.ServerResponse, upstreamPath: string): void {
  const isPlaylist = upstreamPath.split('?')[0].endsWith('.m3u8');
  const headers = { ...req.headers, host: origin.host, ...(isPlaylist ? { 'accept-encoding': 'identity' } : {}) };
  const upstream = http.request({ host: origin.hostname, port: origin.port, method: req.method, path: upstreamPath, headers }, (up) => {
    if (!isPlaylist) {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    up.on('data', (chunk: Buffer) => chunks.push(chunk));
    up.on('error', () => res.destroy());
    up.on('end', () => {
      const body = Buffer.from(withoutBlockingReload(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(up.statusCode ?? 502, { ...up.headers, 'content-length': String(body.length) });
      res.end(body);
    });
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.statusCode = 502;
    res.end();
  });
  req.pipe(upstream);
}
