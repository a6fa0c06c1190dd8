/**
 * How much a sender lets queue in one DataChannel's buffer: a fixed number of milliseconds of the
 * link's measured rate rather than a fixed byte count. Bytes handed to send() cannot be taken back,
 * so this is also how long a cancelled transfer keeps arriving. A fixed 1 MiB was a few ms on
 * loopback but 8 s on a 1 Mb/s home uplink, and every other transfer on that link waited behind it.
 */
import { CHUNK_BYTES } from '../protocol/peer-wire';

export const SEND_WINDOW = {
  /** Enough queued to keep the link busy between two 'bufferedamountlow' events. */
  targetMs: 300,
  /** Two frames: the channel never runs dry while the next one is being read from the store. */
  floorBytes: 2 * CHUNK_BYTES,
  /** Fast links (loopback, LAN) queue no more than the old fixed window. */
  ceilingBytes: 1024 * 1024,
  /** Before anything was measured (the first samples come within 50 ms): 1 s of a 1 Mb/s uplink. */
  unmeasuredBytes: 128 * 1024,
} as const;

/** The high-water mark for a link that carries `bytesPerSecond` (undefined: not measured yet). */
export function sendWindowBytes(bytesPerSecond: number | undefined): number {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return SEND_WINDOW.unmeasuredBytes;
  const bytes = Math.round((bytesPerSecond * SEND_WINDOW.targetMs) / 1000);
  return Math.min(SEND_WINDOW.ceilingBytes, Math.max(SEND_WINDOW.floorBytes, bytes));
}

/** Refill once half the window has gone out ('bufferedamountlow' threshold). */
export function lowWaterBytes(highWater: number): number {
  return Math.floor(highWater / 2);
}
