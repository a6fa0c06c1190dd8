import assert from 'node:assert/strict';
import { checkToken, parseSettings, parseSwarms } from '../../../lib/supporter/config';
import { commandOf, formatBytes } from '../../../nodes/supporter/command';
import { parseArgs, readToken } from '../../../lib/supporter/cli';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

describe('supporter settings, commands and command line', () => {
  it('parses stream/rendition lists, deduplicated', () => {
    assert.deepEqual(parseSwarms('demo/main, demo/low\ndemo/main'), [{ stream: 'demo', rendition: 'main' }, { stream: 'demo', rendition: 'low' }]);
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
    assert.throws(() => readToken('/nonexistent/token', {}), (err: unknown) => code('E_SUPPORTER_TOKEN')(err) && !String((err as Error).message).includes('/nonexistent'));
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
