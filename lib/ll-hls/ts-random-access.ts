/**
 * Whether an MPEG-TS part begins with a video random access point: the first packet that starts a
 * PES on the video PID has the adaptation field's random_access_indicator set (ISO/IEC 13818-1
 * §2.4.3.5; ffmpeg's mpegts muxer sets it on keyframes). The packager starts a segment at such a
 * part (INDEPENDENT=YES): a player that joins there can decode without the parts before it.
 *
 * The video PID is read from the PAT and PMT the part itself carries (ffmpeg writes them at the
 * start of every part file). Audio PES packets carry the indicator on every frame, so only video
 * counts.
 */
const PACKET = 188;
const SYNC = 0x47;
/** PMT stream_type of H.264, H.265 and MPEG-2 video. */
const VIDEO_STREAM_TYPES = new Set([0x1b, 0x24, 0x02]);

interface Packet {
  pid: number;
  unitStart: boolean;
  randomAccess: boolean;
  /** The payload (after the adaptation field), or undefined when there is none. */
  payload?: Uint8Array;
}

function readPacket(bytes: Uint8Array, at: number): Packet | undefined {
  if (bytes[at] !== SYNC) return undefined;
  const pid = ((bytes[at + 1] & 0x1f) << 8) | bytes[at + 2];
  const unitStart = (bytes[at + 1] & 0x40) !== 0;
  const control = (bytes[at + 3] >> 4) & 0x3;
  let offset = at + 4;
  let randomAccess = false;
  if (control & 0x2) {
    const length = bytes[offset];
    if (length > 0) randomAccess = (bytes[offset + 1] & 0x40) !== 0;
    offset += 1 + length;
  }
  const end = at + PACKET;
  return { pid, unitStart, randomAccess, payload: control & 0x1 && offset < end ? bytes.subarray(offset, end) : undefined };
}

/** The section a PSI packet starts (after its pointer_field), or undefined. */
function section(p: Packet): Uint8Array | undefined {
  if (!p.unitStart || !p.payload) return undefined;
  const start = 1 + p.payload[0];
  return start < p.payload.length ? p.payload.subarray(start) : undefined;
}

function pmtPidOf(pat: Uint8Array): number | undefined {
  const length = ((pat[1] & 0x0f) << 8) | pat[2];
  // Programs start after the 8-byte header and end before the CRC.
  for (let i = 8; i + 4 <= Math.min(3 + length - 4, pat.length); i += 4) {
    const program = (pat[i] << 8) | pat[i + 1];
    if (program !== 0) return ((pat[i + 2] & 0x1f) << 8) | pat[i + 3];
  }
  return undefined;
}

function videoPidOf(pmt: Uint8Array): number | undefined {
  const length = ((pmt[1] & 0x0f) << 8) | pmt[2];
  const end = Math.min(3 + length - 4, pmt.length);
  let i = 12 + (((pmt[10] & 0x0f) << 8) | pmt[11]);
  while (i + 5 <= end) {
    const type = pmt[i];
    const pid = ((pmt[i + 1] & 0x1f) << 8) | pmt[i + 2];
    if (VIDEO_STREAM_TYPES.has(type)) return pid;
    i += 5 + (((pmt[i + 3] & 0x0f) << 8) | pmt[i + 4]);
  }
  return undefined;
}

/**
 * True when the part's first video PES starts at a random access point; false when it does not,
 * or when the bytes carry no PAT, PMT or video PES at all (such a part never starts a segment).
 */
export function startsAtRandomAccess(bytes: Uint8Array): boolean {
  let pmtPid: number | undefined;
  let videoPid: number | undefined;
  for (let at = 0; at + PACKET <= bytes.length; at += PACKET) {
    const p = readPacket(bytes, at);
    if (!p) return false;
    if (p.pid === 0 && pmtPid === undefined) {
      const pat = section(p);
      pmtPid = pat && pmtPidOf(pat);
    } else if (pmtPid !== undefined && p.pid === pmtPid && videoPid === undefined) {
      const pmt = section(p);
      videoPid = pmt && videoPidOf(pmt);
    } else if (videoPid !== undefined && p.pid === videoPid && p.unitStart) {
      return p.randomAccess;
    }
  }
  return false;
}
