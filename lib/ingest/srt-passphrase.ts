/**
 * The SRT passphrase: libsrt derives the stream's AES key from it, and a caller with another (or
 * none) is rejected in the handshake. It reaches ffmpeg only through ffmpeg's stdin, inside the
 * one-line ffconcat script that names the SRT input (`option passphrase …`), never on ffmpeg's
 * command line, which any local user can read in /proc/<pid>/cmdline.
 */
import { checkPublisherSecret } from './publisher-secret';

/** libsrt accepts 10–79 characters and ffmpeg passes up to 64; 16 makes online guessing hopeless. */
export const MIN_SRT_PASSPHRASE_CHARS = 16;
export const MAX_SRT_PASSPHRASE_CHARS = 64;

/** Throws E_CONFIG for a passphrase an operator should not use or the script could not quote. */
export function checkSrtPassphrase(passphrase: string | undefined): string {
  return checkPublisherSecret(passphrase, {
    name: 'the SRT passphrase',
    missing: 'SRT needs a passphrase (in the node’s credentials)',
    minChars: MIN_SRT_PASSPHRASE_CHARS,
    maxChars: MAX_SRT_PASSPHRASE_CHARS,
    // Printable ASCII without spaces, quotes or backslashes: it goes between single quotes in the script.
    chars: /^[\x21-\x26\x28-\x5b\x5d-\x7e]+$/,
    excluded: "spaces, ' or \\",
  });
}

/** The ffconcat script, written to ffmpeg's stdin, that opens the SRT listener with the passphrase. */
export function srtInputScript(listenPort: number, passphrase: string, latencyMs: number): string {
  const url = `srt://127.0.0.1:${listenPort}?mode=listener&latency=${latencyMs * 1000}`;
  return `ffconcat version 1.0\nfile '${url}'\noption passphrase '${checkSrtPassphrase(passphrase)}'\n`;
}
