/**
 * Playlist paths such as `/live/{stream}/{rendition}.m3u8`: validated once, matched against request
 * paths, filled for links and object keys. Placeholders match only the id characters that
 * lib/manifest/input.ts accepts, so a request can never address anything outside the templates.
 */
import path from 'node:path';
import { RelaycastError } from '../errors';
import { ID_BODY } from '../protocol/msgs/ids';

export type Placeholder = 'stream' | 'rendition';

export interface PathTemplate {
  readonly template: string;
  readonly placeholders: Placeholder[];
  match(requestPath: string): Partial<Record<Placeholder, string>> | undefined;
  fill(values: Partial<Record<Placeholder, string>>): string;
}

const PLACEHOLDER = /\{(stream|rendition)\}/g;
/** A {stream} or {rendition} placeholder matches one id of the one id rule (lib/protocol/msgs/ids.ts). */
const ID_PATTERN = `(${ID_BODY})`;
const LITERAL_SAFE = /^[A-Za-z0-9._~\-/{}]+$/;

export function compilePathTemplate(template: string, what: string, required: Placeholder[]): PathTemplate {
  if (
    typeof template !== 'string' ||
    !template.startsWith('/') ||
    !LITERAL_SAFE.test(template) ||
    template.includes('//') ||
    template.includes('/../') ||
    template.endsWith('/')
  ) {
    throw new RelaycastError(
      'E_MANIFEST_CONFIG',
      `${what} path must start with / and use only A–Z a–z 0–9 . _ ~ - / and {stream} {rendition}, got ${JSON.stringify(template)}`,
    );
  }
  const placeholders = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as Placeholder);
  for (const name of required) {
    if (!placeholders.includes(name)) throw new RelaycastError('E_MANIFEST_CONFIG', `${what} path ${template} needs {${name}}`);
  }
  if (new Set(placeholders).size !== placeholders.length) throw new RelaycastError('E_MANIFEST_CONFIG', `${what} path ${template} repeats a placeholder`);
  let source = '';
  template
    .replace(PLACEHOLDER, '\u0000')
    .split('\u0000')
    .forEach((part, i, all) => {
      source += part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      if (i < all.length - 1) source += ID_PATTERN;
    });
  const regex = new RegExp(`^${source}$`);
  return {
    template,
    placeholders,
    match(requestPath) {
      const m = regex.exec(requestPath);
      if (!m) return undefined;
      const values: Partial<Record<Placeholder, string>> = {};
      placeholders.forEach((name, i) => {
        values[name] = m[i + 1];
      });
      return values;
    },
    fill(values) {
      return template.replace(PLACEHOLDER, (_all, name: Placeholder) => {
        const value = values[name];
        if (value === undefined) throw new RelaycastError('E_MANIFEST_CONFIG', `no value for {${name}} in ${template}`);
        return value;
      });
    },
  };
}

/** The URI to write in a master playlist served at `fromPath` for a media playlist at `toPath`. */
export function relativeUri(fromPath: string, toPath: string): string {
  return path.posix.relative(path.posix.dirname(fromPath), toPath);
}
