/**
 * Shapes what leaves relaycast-r2-upload for each outcome (lib/protocol/msgs/):
 * - a stored segment: the input msg, with msg.segment.key/url, msg.init.key/url and msg.upload;
 * - a stored part: the input msg, with msg.part.key/url;
 * - a stored file: the input msg with msg.upload (key, url, …);
 * - a gap or lifecycle msg: passed on unchanged, in its rendition's order;
 * - a failed segment: a gap msg in its place (reason 'upload-failed'), never a URL;
 * - a failed file or part: nothing (the error goes to Catch; a part's whole segment still follows).
 */
import type { NodeMessage } from 'node-red';
import type { GapMsg, PartInfo, SegmentInfo } from '../../lib/protocol/msgs';
import type { UploadOutcome } from '../../lib/upload';

type Msg = NodeMessage;

export function outputFor(msg: Msg, outcome: UploadOutcome): Msg | null {
  if (outcome.status === 'passed') return msg;
  const report = { ...outcome.report };
  if (outcome.status === 'stored') {
    msg.upload = { key: outcome.object.key, url: outcome.object.url, ...report };
    if (outcome.kind === 'segment') {
      const segment = msg.segment as SegmentInfo;
      segment.key = outcome.object.key;
      segment.url = outcome.object.url;
      if (outcome.init && msg.init && typeof msg.init === 'object') {
        Object.assign(msg.init as object, { key: outcome.init.key, url: outcome.init.url });
      }
    }
    if (outcome.kind === 'part') Object.assign(msg.part as PartInfo, { key: outcome.object.key, url: outcome.object.url });
    return msg;
  }
  if (!msg.segment || typeof msg.segment !== 'object' || msg.topic === 'playlist' || typeof msg.key === 'string') return null;
  // Key and URL are left out on purpose: the object does not exist.
  const { key: _key, url: _url, ...segment } = msg.segment as SegmentInfo;
  const gap: GapMsg & { upload: typeof report } = {
    topic: 'gap',
    payload: { reason: 'upload-failed', code: outcome.error.code, message: outcome.error.message },
    segment,
    upload: report,
  };
  // A spread: its object type has the index signature NodeMessage asks for (GapMsg, an interface, has none).
  return { ...gap };
}
