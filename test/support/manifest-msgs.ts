// Builders for the msgs manifest consumes (lib/protocol/msgs/), as r2-upload emits them: segment.url
// set to the public URL, init.url set for fMP4.
import type { GapMsg, LifecycleMsg, PartMsg, SegmentMsg, VariantInfo } from '../../lib/protocol/msgs';
import { partObjectName } from '../../lib/upload/keys';

export const PUBLIC_BASE = 'https://media.example.test/live';

export interface SegmentSpec {
  stream?: string;
  rendition?: string;
  session?: string;
  sequence: number;
  duration?: number;
  byteLength?: number;
  discontinuity?: boolean;
  programDateTime?: string;
  fmp4?: boolean;
  initName?: string;
  variant?: VariantInfo;
  url?: string | null;
}

export function segmentMsg(spec: SegmentSpec): SegmentMsg {
  const stream = spec.stream ?? 'demo';
  const rendition = spec.rendition ?? 'main';
  const session = spec.session ?? 's1';
  const ext = spec.fmp4 ? 'm4s' : 'ts';
  const uri = `seg_${String(spec.sequence).padStart(5, '0')}.${ext}`;
  const key = `${stream}/${session}/${rendition}/${uri}`;
  const byteLength = spec.byteLength ?? 250_000;
  const msg: SegmentMsg = {
    topic: 'segment',
    payload: Buffer.alloc(0),
    segment: {
      stream,
      rendition,
      session,
      encoderSequence: spec.sequence,
      sequence: spec.sequence,
      duration: spec.duration ?? 2,
      byteLength,
      sha256: '0'.repeat(64),
      uri,
      path: `/tmp/${uri}`,
      contentType: spec.fmp4 ? 'video/iso.segment' : 'video/mp2t',
      discontinuity: spec.discontinuity ?? false,
      programDateTime: spec.programDateTime,
      variant: spec.variant,
      key,
      url: spec.url === null ? undefined : (spec.url ?? `${PUBLIC_BASE}/${key}`),
    },
  };
  if (spec.fmp4) {
    const initName = spec.initName ?? 'init.mp4';
    msg.init = {
      uri: initName,
      path: `/tmp/${initName}`,
      bytes: Buffer.alloc(0),
      byteLength: 800,
      sha256: '1'.repeat(64),
      contentType: 'video/mp4',
      key: `${stream}/${session}/${rendition}/${initName}`,
      url: `${PUBLIC_BASE}/${stream}/${session}/${rendition}/${initName}`,
    };
  }
  return msg;
}

export function gapMsg(spec: SegmentSpec, reason: 'segment-lost' | 'upload-failed' = 'upload-failed'): GapMsg {
  const { segment } = segmentMsg({ ...spec, url: null });
  return { topic: 'gap', payload: { reason, code: 'E_UPLOAD', message: 'upload failed' }, segment };
}

export function lifecycleMsg(
  event: 'started' | 'restarted' | 'ended',
  spec: { stream?: string; rendition?: string; session?: string; sequence?: number } = {},
): LifecycleMsg {
  return {
    topic: 'lifecycle',
    payload: { event, stream: spec.stream ?? 'demo', rendition: spec.rendition ?? 'main', session: spec.session ?? 's1', sequence: spec.sequence ?? 0 },
  };
}

export interface PartSpec {
  stream?: string;
  rendition?: string;
  session?: string;
  /** The sequence of the segment it belongs to. */
  sequence: number;
  index: number;
  duration?: number;
  independent?: boolean;
  partTarget?: number;
}

/** A part as r2-upload emits it: stored under partKey(), so with the URL manifest's preload hint predicts. */
export function partMsg(spec: PartSpec): PartMsg {
  const stream = spec.stream ?? 'demo';
  const rendition = spec.rendition ?? 'main';
  const session = spec.session ?? 's1';
  const key = `${stream}/${session}/${rendition}/${partObjectName(spec.sequence, spec.index, '.ts')}`;
  return {
    topic: 'part',
    payload: Buffer.alloc(0),
    part: {
      stream,
      rendition,
      session,
      sequence: spec.sequence,
      index: spec.index,
      duration: spec.duration ?? 1 / 3,
      independent: spec.independent ?? spec.index === 0,
      partTarget: spec.partTarget ?? 1 / 3,
      byteLength: 30_000,
      sha256: '0'.repeat(64),
      uri: `part_${spec.sequence}_${spec.index}.ts`,
      contentType: 'video/mp2t',
      key,
      url: `${PUBLIC_BASE}/${key}`,
    },
  };
}
