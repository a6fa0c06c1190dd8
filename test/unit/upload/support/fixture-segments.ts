/**
 * Segment msgs built from the committed HLS fixtures exactly as lib/protocol/msgs/segment.ts describes them
 * (what hls-watch emits), for driving r2-upload without hls-watch.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as HLS from 'hls-parser';
import { contentTypeFor } from '../../../../lib/hls/content-types';
import { type InitSection, type PartMsg, type SegmentMsg } from '../../../../lib/protocol/msgs';

export const FIXTURES_ROOT = path.resolve(__dirname, '../../../fixtures/hls');

interface FixtureDescription {
  kind: 'ts' | 'fmp4';
  renditions: { id: string; playlist: string; init: string | null }[];
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export function fixtureNames(): string[] {
  return ['ts-single', 'fmp4-single', 'ts-multi', 'owncast'];
}

/** Every segment of a fixture, rendition by rendition, in playlist order. */
export function fixtureSegmentMsgs(fixture: string, options: { stream?: string; session?: string; firstSequence?: number } = {}): SegmentMsg[] {
  const dir = path.join(FIXTURES_ROOT, fixture);
  const description = JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8')) as FixtureDescription;
  const msgs: SegmentMsg[] = [];
  for (const rendition of description.renditions) {
    const playlistPath = path.join(dir, rendition.playlist);
    const playlist = HLS.parse(readFileSync(playlistPath, 'utf8')) as HLS.types.MediaPlaylist;
    let init: InitSection | undefined;
    if (rendition.init) {
      const initPath = path.join(path.dirname(playlistPath), rendition.init);
      const bytes = readFileSync(initPath);
      init = { uri: rendition.init, path: initPath, bytes, byteLength: bytes.length, sha256: sha256(bytes), contentType: 'video/mp4' };
    }
    playlist.segments.forEach((segment, index) => {
      const segmentPath = path.join(path.dirname(playlistPath), segment.uri);
      const bytes = readFileSync(segmentPath);
      msgs.push({
        topic: 'segment',
        payload: bytes,
        segment: {
          stream: options.stream ?? fixture,
          rendition: rendition.id,
          session: options.session ?? 'session-1',
          encoderSequence: (playlist.mediaSequenceBase ?? 0) + index,
          sequence: (options.firstSequence ?? 0) + index,
          duration: segment.duration,
          byteLength: bytes.length,
          sha256: sha256(bytes),
          uri: segment.uri,
          path: segmentPath,
          contentType: contentTypeFor(segment.uri),
          discontinuity: index === 0,
        },
        ...(init ? { init: { ...init } } : {}),
      });
    });
  }
  return msgs;
}

/** A synthetic segment msg of `size` bytes (deterministic content) for order and load tests. */
export function syntheticSegmentMsg(
  sequence: number,
  size: number,
  options: { stream?: string; rendition?: string; session?: string; duration?: number } = {},
): SegmentMsg {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE((sequence * 2654435761 + i) >>> 0, Math.min(i, size - 4));
  return {
    topic: 'segment',
    payload: bytes,
    segment: {
      stream: options.stream ?? 'synthetic',
      rendition: options.rendition ?? 'main',
      session: options.session ?? 'session-1',
      encoderSequence: sequence,
      sequence,
      duration: options.duration ?? 2,
      byteLength: bytes.length,
      sha256: sha256(bytes),
      uri: `seg_${sequence}.ts`,
      path: `/nowhere/seg_${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
    },
  };
}

export { sha256 };

/** An LL-HLS part msg (what hls-watch emits for an EXT-X-PART) of a real ffmpeg part file (test/fixtures/ll-parts). */
export function fixturePartMsg(file: string, part: { sequence: number; index: number; rendition?: string; session?: string }): PartMsg {
  const bytes = readFileSync(path.resolve(FIXTURES_ROOT, '../ll-parts', file));
  return {
    topic: 'part',
    payload: bytes,
    part: {
      stream: 'parts',
      rendition: part.rendition ?? 'main',
      session: part.session ?? 'session-1',
      sequence: part.sequence,
      index: part.index,
      duration: 1 / 3,
      independent: part.index === 0,
      partTarget: 1 / 3,
      byteLength: bytes.length,
      sha256: sha256(bytes),
      uri: file,
      contentType: contentTypeFor(file),
    },
  };
}
