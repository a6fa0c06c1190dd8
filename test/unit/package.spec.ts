// What package.json promises the Flow Library and the palette manager.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// semver ships without types (the scorecard uses it from plain JS); these two calls are all we need.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { minVersion(range: string): { version: string } | null; satisfies(version: string, range: string): boolean };

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { 'node-red': { version: string } };

describe('package.json', () => {
  it('declares node-red >= 4.1.0: Catch nodes get msg.error.code (which every Relaycast error sets) only from 4.1 on', () => {
    const range = pkg['node-red'].version;
    assert.equal(semver.minVersion(range)?.version, '4.1.0', range);
    assert.ok(!semver.satisfies('4.0.9', range), 'a 4.0 runtime would drop msg.error.code');
    assert.ok(semver.satisfies('5.0.0', range), 'node-red 5 stays supported');
  });
});
