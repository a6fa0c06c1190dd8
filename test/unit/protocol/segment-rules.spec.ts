// The segment msg between nodes and the segment the server announces to its swarm check a stored
// segment's fields by one set of rules (lib/protocol/segment-rules.ts): whatever the one accepts or
// refuses, the other does too, so a peer never drops an announcement the server made from a good msg.
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { checkAnnouncedSegment } from '../../../lib/protocol';
import { PublicUrlSchema, SegmentDurationSchema, Sha256Schema } from '../../../lib/protocol/msgs/fields';

const good = { sequence: 1, rendition: 'r', url: 'https://r2.example/live/r/1.ts', size: 10, sha256: 'a'.repeat(64), duration: 2 };

const cases: Array<{ field: 'url' | 'sha256' | 'duration'; value: unknown }> = [
  { field: 'url', value: good.url },
  { field: 'url', value: 'https://r2.example/a b.ts' },
  { field: 'url', value: 'https://r2.example/"quoted".ts' },
  { field: 'url', value: `https://r2.example/${'x'.repeat(2040)}` },
  { field: 'url', value: 'ftp://r2.example/1.ts' },
  { field: 'sha256', value: 'A'.repeat(64) },
  { field: 'sha256', value: 'a'.repeat(63) },
  { field: 'duration', value: 0 },
  { field: 'duration', value: 3600 },
  { field: 'duration', value: 3600.5 },
  { field: 'duration', value: Number.NaN },
];

const msgSchema = { url: PublicUrlSchema, sha256: Sha256Schema, duration: SegmentDurationSchema };

describe('protocol: one rule set for a stored segment, in the msg and on the wire', () => {
  for (const { field, value } of cases) {
    it(`${field} = ${JSON.stringify(value)?.slice(0, 40)}: the msg and the announcement agree`, () => {
      const onTheWire = checkAnnouncedSegment({ ...good, [field]: value }).ok;
      const inTheMsg = v.is(msgSchema[field], value);
      assert.equal(onTheWire, inTheMsg);
    });
  }

  it('refuses on the wire what a node would refuse (a URL with a space, a segment over an hour)', () => {
    assert.equal(checkAnnouncedSegment({ ...good, url: 'https://r2.example/a b.ts' }).ok, false);
    assert.equal(checkAnnouncedSegment({ ...good, duration: 3600.5 }).ok, false);
    assert.equal(checkAnnouncedSegment(good).ok, true);
  });
});
