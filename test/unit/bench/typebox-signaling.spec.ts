import { strict as assert } from 'node:assert';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { TypeBoxMessages, TypeBoxServerFrames } from '../../../bench/support/typebox-signaling';
import { ClientMessageSchemas, JoinSchema, parseClientFrame } from '../../../lib/protocol/signaling/client-messages';
import { parseServerFrame, PlaylistFrameSchema, RenditionFrameSchema } from '../../../lib/protocol/signaling/server-messages';
import { BOUNDS, PROTOCOL_VERSION } from '../../../lib/protocol/signaling/constants';

// bench/schema-libraries.ts compares Valibot with this TypeBox mirror: it only means something while
// the mirror declares the same messages, field for field.
const keys = (schema: TSchema) => Object.keys((schema as unknown as { properties: object }).properties).sort();

describe('the TypeBox mirror of the signaling messages (bench/support/typebox-signaling.ts)', () => {
  it('declares the same fields as lib/protocol for every client message it mirrors, the v3 rendition switch among them', () => {
    assert.ok('rendition' in TypeBoxMessages);
    for (const [type, schema] of Object.entries(TypeBoxMessages)) {
      const valibot =
        type === 'join'
          ? [...new Set(JoinSchema.options.flatMap((o) => Object.keys(o.entries)))]
          : Object.keys((ClientMessageSchemas[type as keyof typeof ClientMessageSchemas] as { entries: object }).entries);
      assert.deepEqual(keys(schema), valibot.sort(), type);
    }
  });

  it('declares the server rendition answer and pushed playlists with the same fields, ageMs included', () => {
    assert.deepEqual(keys(TypeBoxServerFrames.rendition), Object.keys(RenditionFrameSchema.entries).sort());
    assert.deepEqual(keys(TypeBoxServerFrames.playlist), Object.keys(PlaylistFrameSchema.entries).sort());
  });

  it('accepts and refuses the same v3 frames as lib/protocol', () => {
    const playlist = { rendition: '720p', text: '#EXTM3U\n', ended: false, ageMs: 1500 };
    const segment = { sequence: 7, rendition: '720p', url: 'https://cdn.example/live/720p/7.ts', size: 1000, sha256: 'a'.repeat(64), duration: 2 };
    const rendition = { type: 'rendition', rendition: '720p', segments: [segment], playlists: [playlist] };
    const server: Array<[string, object, boolean]> = [
      ['rendition answer', rendition, true],
      ['pushed playlist with its age', { type: 'playlist', ...playlist }, true],
      ['pushed playlist without an age', { type: 'playlist', rendition: null, text: '#EXTM3U\n', ended: true }, true],
      ['negative age', { type: 'playlist', ...playlist, ageMs: -1 }, false],
      ['age past the bound', { type: 'playlist', ...playlist, ageMs: BOUNDS.maxPlaylistAgeMs + 1 }, false],
      ['fractional age', { ...rendition, playlists: [{ ...playlist, ageMs: 1.5 }] }, false],
      ['answer without segments', { type: 'rendition', rendition: '720p', playlists: [] }, false],
    ];
    for (const [what, frame, valid] of server) {
      const type = (frame as { type: string }).type;
      assert.equal(parseServerFrame(JSON.stringify(frame)) !== undefined, valid, `Valibot, ${what}`);
      assert.equal(Value.Check(TypeBoxServerFrames[type], frame), valid, `TypeBox, ${what}`);
    }
    const client: Array<[string, object, boolean]> = [
      ['rendition switch', { type: 'rendition', rendition: '480p' }, true],
      ['rendition switch with an extra field', { type: 'rendition', rendition: '480p', stream: 'live' }, false],
      ['rendition switch to a bad id', { type: 'rendition', rendition: 'a b' }, false],
      ['join', { type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: '720p', role: 'viewer' }, true],
    ];
    for (const [what, frame, valid] of client) {
      const type = (frame as { type: string }).type;
      assert.equal(parseClientFrame(JSON.stringify(frame)).ok, valid, `Valibot, ${what}`);
      assert.equal(Value.Check(TypeBoxMessages[type], frame), valid, `TypeBox, ${what}`);
    }
  });
});
