// The protocol documents describe lib/protocol/; this reads their tables and fails when a documented
// message type, field, bound, error or close code has no schema or constant there, or the reverse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BOUNDS,
  CHUNK_BYTES,
  ClientMessageSchemas,
  CLOSE_CODES,
  ERROR_CODES,
  FRAME,
  HONEST_RECEIPT_REFUSALS,
  MAX_FRAME_BYTES,
  MAX_HAVE,
  MAX_SEGMENT_BYTES,
  NOT_A_VIOLATION,
  PROTOCOL_VERSION,
  ServerFrameSchema,
  WIRE_VERSION,
} from '../../../lib/protocol';

const read = (name: string) => readFileSync(path.join(__dirname, '..', '..', '..', 'docs', name), 'utf8');
const signaling = read('signaling-protocol.md');
const wire = read('peer-wire-protocol.md');

/** The text of the section whose heading starts with `## <number>.` */
function section(doc: string, number: number): string {
  const start = doc.indexOf(`\n## ${number}.`);
  assert.ok(start >= 0, `section ${number} exists`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Rows of every table in `text`, cells split on `|` (an escaped `\|` stays in its cell), header and rule dropped. */
function rows(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|') || /^\|[-| ]+\|$/.test(line)) continue;
    out.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return out.filter((row) => !['type', 'code', 'limit'].includes(row[0]));
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
/** `name`, `name?` or `name: …` at the start of each backticked span: the field names a cell lists. */
const fieldNames = (cell: string) =>
  backticked(cell)
    .map((span) => /^([A-Za-z][A-Za-z0-9]*)\??(:|$)/.exec(span)?.[1])
    .filter((n): n is string => !!n && n !== 'null');
const numbersIn = (text: string) => [...text.matchAll(/\d[\d,]*/g)].map((m) => Number(m[0].replace(/,/g, ''))).filter((n) => Number.isFinite(n));

function entriesOf(schema: unknown): string[] {
  const s = schema as { entries?: Record<string, unknown>; options?: unknown[] };
  if (s.entries) return Object.keys(s.entries);
  return [...new Set((s.options ?? []).flatMap(entriesOf))];
}

const serverSchemas = new Map(ServerFrameSchema.options.map((o) => [String((o.entries.type as { literal: string }).literal), o] as const));

describe('protocol documents agree with lib/protocol', () => {
  it('signaling: the version in the title and the join row is PROTOCOL_VERSION', () => {
    assert.match(signaling, new RegExp(`^# Relaycast signaling protocol, version ${PROTOCOL_VERSION}\\n`));
    assert.ok(signaling.includes(`\`v: ${PROTOCOL_VERSION}\``));
  });

  it('signaling section 3: every client message type and field has a schema, and every schema is documented', () => {
    const table = rows(section(signaling, 3));
    assert.deepEqual(table.map((r) => backticked(r[0])[0]).sort(), Object.keys(ClientMessageSchemas).sort());
    for (const [typeCell, fields] of table) {
      const type = backticked(typeCell)[0] as keyof typeof ClientMessageSchemas;
      const schemaFields = entriesOf(ClientMessageSchemas[type]).filter((f) => f !== 'type');
      assert.deepEqual(fieldNames(fields).sort(), schemaFields.sort(), `fields of '${type}'`);
    }
  });

  it('signaling section 4: every server frame type and field has a schema, and every schema is documented', () => {
    const table = rows(section(signaling, 4)).filter((r) => r.length === 3);
    const documented = table.flatMap((r) => backticked(r[0]));
    assert.deepEqual([...documented].sort(), [...serverSchemas.keys()].sort());
    for (const [typeCell, fields] of table) {
      for (const type of backticked(typeCell)) {
        const schemaFields = entriesOf(serverSchemas.get(type)).filter((f) => f !== 'type');
        assert.deepEqual(fieldNames(fields).sort(), schemaFields.sort(), `fields of '${type}'`);
      }
    }
    // The shapes nested in the welcome: its playlists are pushed playlists, field for field.
    const welcome = table.find((r) => r[0] === '`welcome`')![1];
    const playlistFields = /`playlists: \{([^}]*)\}\[\]`/
      .exec(welcome)![1]
      .split(',')
      .map((f) => f.trim().replace('?', ''));
    assert.deepEqual(
      playlistFields.sort(),
      entriesOf(serverSchemas.get('playlist'))
        .filter((f) => f !== 'type')
        .sort(),
    );
  });

  it('signaling section 3: every number in the client message table and its id rules is a bound of BOUNDS (or the version)', () => {
    const known = new Set<number>([0, 1, PROTOCOL_VERSION]);
    for (const value of Object.values(BOUNDS)) {
      if (typeof value === 'number') known.add(value);
      if (value instanceof RegExp) for (const n of numbersIn(value.source.replace(/A-Z|a-z|0-9|a-f/g, ''))) known.add(n);
    }
    const s3 = section(signaling, 3);
    const rules = s3.slice(0, s3.indexOf('\n|'));
    const fieldCells = rows(s3)
      .map((r) => r[1])
      .join(' ');
    // Field names with a digit (p2pBytes) are names, not bounds.
    const documented = [...numbersIn(fieldCells.replace(/A-Za-z0-9|v: \d|p2p/g, '')), ...numbersIn(rules.replace(/A-Za-z0-9|## \d+\./g, ''))];
    assert.ok(documented.length > 10);
    for (const n of documented) assert.ok(known.has(n), `documented bound ${n} is a constant of lib/protocol`);
    // Section 4: the pushed-playlist bound.
    assert.ok(section(signaling, 4).includes(`\`text: string (≤ ${BOUNDS.maxPushedPlaylistBytes / 1024} KiB in UTF-8)\``));
  });

  it('signaling section 8: the close codes are CLOSE_CODES, and every error code is in ERROR_CODES', () => {
    const s8 = section(signaling, 8);
    const closeTable = s8.slice(s8.indexOf('Close codes:'));
    const documented = rows(closeTable)
      .map((r) => Number(r[0]))
      .filter((n) => Number.isInteger(n) && n > 999);
    assert.deepEqual(documented.sort(), Object.values(CLOSE_CODES).sort());
    const codes = [...(section(signaling, 6) + s8).matchAll(/`(E_(?:SIGNAL|RECEIPT)_[A-Z_]+)`/g)].map((m) => m[1]);
    for (const code of codes) assert.ok((ERROR_CODES as readonly string[]).includes(code), `${code} is in ERROR_CODES`);
    for (const code of ERROR_CODES) assert.ok(codes.includes(code), `${code} is documented`);
  });

  it('signaling section 8: what counts as a violation is NOT_A_VIOLATION and HONEST_RECEIPT_REFUSALS', () => {
    const table = rows(section(signaling, 8)).filter((r) => r.length === 3 && r[0].startsWith('`E_'));
    const by = (verdict: string) => table.filter((r) => r[2].startsWith(verdict)).flatMap((r) => backticked(r[0]));
    assert.deepEqual(by('no').sort(), [...NOT_A_VIOLATION].sort());
    assert.deepEqual(by('never').sort(), [...HONEST_RECEIPT_REFUSALS].sort());
  });

  it('peer wire: the version, frame types and limits are the constants of lib/protocol/peer-wire.ts', () => {
    assert.match(wire, new RegExp(`^# Relaycast peer wire protocol, version ${WIRE_VERSION}\\n`));
    const frames = rows(section(wire, 2)).filter((r) => /^\d+$/.test(r[0]));
    assert.deepEqual(Object.fromEntries(frames.map((r) => [r[1], Number(r[0])])), FRAME);
    assert.ok(wire.includes(`\`MAX_FRAME_BYTES\` = ${MAX_FRAME_BYTES.toLocaleString('en-US')}`), 'largest frame');
    assert.ok(wire.includes(`${CHUNK_BYTES / 1024} KiB of payload`) && wire.includes(`(1–${CHUNK_BYTES.toLocaleString('en-US')} bytes)`), 'DATA payload');
    assert.ok(wire.includes(`\`count: u16\` (≤ ${MAX_HAVE})`) && wire.includes(`| sequences per HAVE | ${MAX_HAVE} |`), 'HAVE bound');
    assert.ok(wire.includes(`\`end ≤ ${MAX_SEGMENT_BYTES / 1024 / 1024} MiB\``), 'request bound');
  });
});
