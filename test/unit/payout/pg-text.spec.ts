// The PostgreSQL ledger's text encoding: no NUL and no lone surrogate ever reaches a text column,
// ordinary strings are stored as they are, and two different strings never meet as one.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePgText, encodePgText } from '../../../lib/payout/pg-text';

const anyString = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\0', '\\', 'u', '0', '\uD800', '\uDC00', '\uD83D', '\uDE00'),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 40,
});
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('PostgreSQL text encoding for ledger strings', () => {
  it('round-trips every string, and its output has no NUL and no lone surrogate', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const e = encodePgText(s);
        assert.equal(decodePgText(e), s);
        assert.ok(!e.includes('\0'));
        assert.ok(wellFormed(e), JSON.stringify(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('never maps two different strings to one', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(encodePgText(a), encodePgText(b));
      }),
      { numRuns: 2000 },
    );
    assert.notEqual(encodePgText('a\0'), encodePgText('a\\u0000'));
  });

  it('leaves ids, tags and names without a backslash, NUL or lone surrogate unchanged', () => {
    for (const s of ['live/720p/12/peer0001', 'net:4f2a', 'Zoë 🎥', '']) assert.equal(encodePgText(s), s);
  });
});
