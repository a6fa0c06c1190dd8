import assert from 'node:assert/strict';
import { checkToken, parseSettings, parseSwarms } from '../../../lib/supporter/config';
import { commandOf, formatBytes } from '../../../nodes/supporter/command';
import { parseArgs, readToken } from '../../../lib/supporter/cli';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

describe('supporter settings, commands and command line', () => {
  it('parses stream/rendition lists, deduplicated', () => {
    assert.deepEqual(parseSwarms('demo/main, demo/low\ndemo/main'), [
      { stream: 'demo', rendition: 'main' },
      { stream: 'demo', rendition: 'low' },
    ]);
  });
  it('refuses bad settings with E_SUPPORTER_CONFIG', () => {
    assert.throws(() => parseSwarms(''), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSwarms('demo'), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSwarms('demo/main/x'), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSettings({ signalingUrl: 'http://x/s', swarms: 'a/b' }), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSettings({ signalingUrl: 'ws://u:p@x/s', swarms: 'a/b' }), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/b', uploadKBps: -1 }), code('E_SUPPORTER_CONFIG'));
    assert.throws(() => parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/b', memoryMB: 1 }), code('E_SUPPORTER_CONFIG'));
  });
  it('refuses a fractional peer count instead of rounding it; the caps may be fractional', () => {
    const named = (field: RegExp) => (err: unknown) => code('E_SUPPORTER_CONFIG')(err) && field.test((err as Error).message);
    assert.throws(() => parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/b', maxPeers: 2.5 }), named(/Most peers must be a whole number/));
    assert.throws(() => parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/b', maxPeers: '-3' }), named(/Most peers/));
    const s = parseSettings({ signalingUrl: 'ws://x/s', swarms: 'a/b', uploadKBps: '0.5', memoryMB: 8.5 });
    assert.deepEqual([s.uploadBytesPerSecond, s.maxStoreBytes], [500, 8.5 * 1024 * 1024]);
  });
  it("reads --stats-every by the node's rule for Stats every", () => {
    const base = ['--signaling', 'ws://h/s', '--carry', 'a/b'];
    assert.equal(parseArgs(base).statsEverySeconds, 10);
    assert.equal(parseArgs([...base, '--stats-every', '2.5']).statsEverySeconds, 2.5);
    for (const bad of ['0', '-3', 'often', '3601']) {
      assert.throws(
        () => parseArgs([...base, '--stats-every', bad]),
        (err: unknown) => code('E_SUPPORTER_CONFIG')(err) && /^--stats-every must be a number from 1 to 3600/.test((err as Error).message),
        bad,
      );
    }
  });
  it('turns the caps into bytes', () => {
    const s = parseSettings({ signalingUrl: 'wss://x/s', swarms: 'a/b', uploadKBps: '250', memoryMB: 16 });
    assert.equal(s.uploadBytesPerSecond, 250_000);
    assert.equal(s.maxStoreBytes, 16 * 1024 * 1024);
  });
  it('requires a token and never accepts one on the command line', () => {
    assert.throws(() => checkToken(''), code('E_SUPPORTER_TOKEN'));
    assert.throws(() => checkToken('has space'), code('E_SUPPORTER_TOKEN'));
    assert.throws(() => parseArgs(['--token', 'secret-secret-secret']), code('E_SUPPORTER_TOKEN'));
    assert.equal(readToken(undefined, { RELAYCAST_SUPPORTER_TOKEN: ' tok-123 \n' }), 'tok-123');
    assert.throws(
      () => readToken('/nonexistent/token', {}),
      (err: unknown) => code('E_SUPPORTER_TOKEN')(err) && !String((err as Error).message).includes('/nonexistent'),
    );
  });
  it('maps command-line options onto the same settings as the node', () => {
    const args = parseArgs(['--signaling', 'ws://h/s', '--stream', 'demo', '--rendition', 'main', '--upload-kbps', '10']);
    assert.deepEqual(parseSettings(args.settings).swarms, [{ stream: 'demo', rendition: 'main' }]);
    assert.equal(parseSettings(args.settings).uploadBytesPerSecond, 10_000);
    assert.throws(() => parseArgs(['--bogus', '1']), code('E_SUPPORTER_CONFIG'));
  });
  it('reads on/off/stats/credit from msgs and refuses anything else', () => {
    assert.equal(commandOf({ payload: true }), 'on');
    assert.equal(commandOf({ payload: 'STOP' }), 'off');
    assert.equal(commandOf({ topic: 'stats' }), 'stats');
    assert.throws(() => commandOf({ payload: { x: 1 } }), code('E_SUPPORTER_INPUT'));
    assert.equal(formatBytes(1_500_000), '1.5MB');
  });
});
