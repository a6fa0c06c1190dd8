// The supporter invite: the token it issues is one more line of the token list (read back by the
// list's own rule), the link and command it composes, the refusals of the admin route's core
// (issueInvite) for a verify hook and an ${ENV} list, and example 06 relaying what the demo serves.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseSupporterTokens, SupporterTokenList } from '../../../lib/signaling/supporters';
import { parseArgs } from '../../../lib/supporter/cli';
import { parseSettings } from '../../../lib/supporter/config';
import { supporterInvite } from '../../../lib/supporter/invite';
import { issueInvite, type InviteSource } from '../../../nodes/payout/invite-route';
import type { SignalingNodeApi } from '../../../nodes/signaling/signaling-api';
import { DEMO_SIGNALING_ID, demoSupporterLink, withDemoSupporter } from '../../../demo/supporter';

const root = path.resolve(__dirname, '../../..');
const swarm = { stream: 'demo', rendition: '0' };

describe('supporter invite', () => {
  it('issues a token the list admits at once, as a line its own rule reads back', async () => {
    const list = new SupporterTokenList('bob:bob-token-0123456789abcdef\n');
    const { token, line } = list.issue('alice');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(line, `alice:${token}`);
    assert.equal(await list.verify(token, swarm), 'alice');
    assert.equal(await list.verify('bob-token-0123456789abcdef', swarm), 'bob', 'earlier lines still admitted');
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(await list.verify(wrong, swarm), null);
    assert.notEqual(list.issue('alice').token, token, 'every issue is a fresh token');
    assert.throws(() => list.issue('alice smith'), { code: 'E_INVITE_INPUT' });
  });

  it('composes the link and a command the relaycast-supporter CLI parses', () => {
    const token = 'A'.repeat(43);
    const invite = supporterInvite({
      origin: 'https://live.example.org',
      signalingPath: '/relaycast/signal',
      viewerPath: '/live',
      summaryPath: '/relaycast/payout',
      stream: 'demo',
      renditions: ['0', '1'],
      token,
    });
    assert.equal(invite.link, `https://live.example.org/live/demo/#supporter=${token}`);
    assert.equal(invite.renditionsKnown, true);
    const [env, ...rest] = invite.command.split(' ');
    assert.equal(env, `RELAYCAST_SUPPORTER_TOKEN=${token}`);
    assert.deepEqual(rest.slice(0, 2), ['npx', 'relaycast-supporter']);
    const settings = parseSettings(parseArgs(rest.slice(2)).settings);
    assert.equal(settings.signalingUrl, 'wss://live.example.org/relaycast/signal');
    assert.deepEqual(settings.swarms, [
      { stream: 'demo', rendition: '0' },
      { stream: 'demo', rendition: '1' },
    ]);
    assert.equal(settings.creditUrl, 'https://live.example.org/relaycast/payout/me');
    assert.ok(!rest.includes(token), 'the token is not an argument (ps shows those)');
    for (const origin of ['ftp://x', 'https://a@b', 'https://x/path', 'not a url'])
      assert.throws(() => supporterInvite({ origin, signalingPath: '', viewerPath: '', summaryPath: '', stream: 'demo', renditions: [], token }), {
        code: 'E_INVITE_INPUT',
      });
  });

  describe('issueInvite (the admin route)', () => {
    const body = { supporter: 'alice', stream: 'demo', origin: 'http://127.0.0.1:1880' };
    const target = { signalingPath: '/relaycast/signal', viewerPath: '/live', renditions: () => ['0'] };
    function store(initial: Record<string, Record<string, unknown>>) {
      const creds = new Map(Object.entries(initial));
      const nodes = new Map<string, unknown>();
      return {
        creds,
        nodes,
        api: {
          getNode: (id: string) => nodes.get(id) ?? null,
          getCredentials: (id: string) => creds.get(id),
          addCredentials: async (id: string, c: Record<string, unknown>) => void creds.set(id, c),
        } as never,
      };
    }

    it('refuses a signaling node whose tokens a verify hook checks (E_INVITE_HOOK)', async () => {
      const s = store({});
      s.nodes.set('sig', { inviteTarget: target, verifySupporter: () => null } satisfies Partial<SignalingNodeApi>);
      await assert.rejects(issueInvite(s.api, 'pay', { signalingId: 'sig', summaryPath: '' }, body), { code: 'E_INVITE_HOOK' });
    });

    it('refuses a payout without a running signaling node (E_INVITE_NO_SIGNALING) and an unknown payout (E_INVITE_NOT_RUNNING)', async () => {
      const s = store({});
      await assert.rejects(issueInvite(s.api, 'pay', { signalingId: '', summaryPath: '' }, body), { code: 'E_INVITE_NO_SIGNALING' });
      await assert.rejects(issueInvite(s.api, 'pay', undefined, body), { code: 'E_INVITE_NOT_RUNNING' });
    });

    it("adds the line to payout's own list too, and refuses an ${ENV} list before issuing anything (E_INVITE_ENV)", async () => {
      const issued: string[] = [];
      const sigList = new SupporterTokenList();
      const s = store({ pay: { supporterTokens: 'bob:bob-token-0123456789abcdef' } });
      s.nodes.set('sig', {
        inviteTarget: target,
        issueSupporterToken: async (id: string) => {
          const { token } = sigList.issue(id);
          issued.push(token);
          return token;
        },
      } satisfies Partial<SignalingNodeApi>);
      const ownList = new SupporterTokenList('bob:bob-token-0123456789abcdef');
      const source: InviteSource = { signalingId: 'sig', summaryPath: '/relaycast/payout', ownList };
      const answer = await issueInvite(s.api, 'pay', source, body);
      assert.equal(await ownList.verify(answer.token, swarm), 'alice');
      assert.equal(s.creds.get('pay')!.supporterTokens, `bob:bob-token-0123456789abcdef\nalice:${answer.token}`);
      assert.equal(answer.link, `http://127.0.0.1:1880/live/demo/#supporter=${answer.token}`);

      s.creds.set('pay', { supporterTokens: '${PAYOUT_TOKENS}' });
      await assert.rejects(issueInvite(s.api, 'pay', source, body), { code: 'E_INVITE_ENV' });
      assert.equal(issued.length, 1, 'nothing issued on a refusal');
    });
  });

  it('the demo admits its supporter through the same list, and example 06 relays what the demo serves', () => {
    const token = 'B'.repeat(43);
    const creds = withDemoSupporter({ other: { x: 1 } }, token) as Record<string, { supporterTokens: string }>;
    assert.deepEqual([...parseSupporterTokens(creds[DEMO_SIGNALING_ID].supporterTokens).values()], ['demo-supporter']);
    assert.equal(demoSupporterLink('http://127.0.0.1:1880/live/demo/', token), `http://127.0.0.1:1880/live/demo/#supporter=${token}`);

    const demo = JSON.parse(readFileSync(path.join(root, 'demo', 'flows.json'), 'utf8')) as Array<Record<string, string>>;
    const example = JSON.parse(readFileSync(path.join(root, 'flows', '06 - Relay as a supporter.json'), 'utf8')) as Array<Record<string, unknown>>;
    const supporter = parseSettings(example.find((n) => n.type === 'relaycast-supporter')!);
    const signaling = demo.find((n) => n.type === 'relaycast-signaling')!;
    const payout = demo.find((n) => n.type === 'relaycast-payout')!;
    const stream = demo.find((n) => n.type === 'relaycast-hls-watch')!.stream;
    const fixture = path.join(root, 'test', 'fixtures', 'hls', 'ts-multi');
    const renditions = readdirSync(fixture, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    assert.equal(supporter.signalingUrl, `ws://127.0.0.1:1880${signaling.path}`);
    assert.equal(supporter.creditUrl, `http://127.0.0.1:1880${payout.summaryPath}/me`);
    assert.deepEqual(
      supporter.swarms,
      renditions.map((rendition) => ({ stream, rendition })),
    );
  });
});
