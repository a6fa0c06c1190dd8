/**
 * The editor's "Invite a supporter" endpoint in a real Node-RED (the CLI, with adminAuth):
 * POST /relaycast-payout/<id>/invite needs the relaycast-payout.write permission, refuses bad input
 * with a code, and issues a token that signaling admits as that supporter at once and payout's
 * summary knows, that survives a deploy and a restart (it is one more line of the signaling node's
 * token list, in flows_cred.json), and that Node-RED never logs. In the editor (headless Chromium),
 * payout's dialog issues one with its button and shows the link and the command.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignalClient } from '../nodes/signaling-client';
import { launchChromium } from '../support/chromium';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { until } from '../support/until';

// The editor's global, inside page.evaluate.
declare const RED: any;

const OPERATOR_TOKEN = 'invite-spec-operator-token';
const READER_TOKEN = 'invite-spec-reader-token';
const BOB_TOKEN = 'bob-token-0123456789abcdef';
/** Not a bcrypt hash of anything: password sign-in always fails for these users. */
const NO_PASSWORD = `$2b$08$${'x'.repeat(53)}`;

const flows = [
  { id: 'tab', type: 'tab', label: 'invite' },
  {
    id: 'sig',
    type: 'relaycast-signaling',
    z: 'tab',
    path: '/relaycast/signal',
    iceServers: '[]',
    // Joins need no announced segment here: the spec checks tokens, not media.
    openSwarms: true,
    viewerPath: '/live',
    wires: [[], ['pay'], []],
  },
  {
    id: 'pay',
    type: 'relaycast-payout',
    z: 'tab',
    ledger: 'ledger.sqlite',
    threshold: 0,
    sameNetwork: 'allow',
    untagged: 'credit',
    segments: 'signaling',
    batchMs: 2,
    summaryPath: '/relaycast/payout',
    signaling: 'sig',
    wires: [[], []],
  },
];

describe('e2e: the supporter invite endpoint (real Node-RED with adminAuth)', function () {
  this.timeout(120_000);
  let nodeRed: NodeRedProcess;
  let userDir: string;
  const clients: SignalClient[] = [];

  const start = async (withFlows: boolean): Promise<void> => {
    nodeRed = await startNodeRed({
      userDir,
      ...(withFlows ? { flows, credentials: { sig: { supporterTokens: `bob:${BOB_TOKEN}` } } } : {}),
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'operator', password: NO_PASSWORD, permissions: '*' },
            { username: 'reader', password: NO_PASSWORD, permissions: 'read' },
          ],
          tokens: [
            { token: OPERATOR_TOKEN, user: 'operator', scope: ['*'] },
            { token: READER_TOKEN, user: 'reader', scope: ['read'] },
          ],
        },
      },
    });
  };
  const invite = (body: unknown, token: string | null = OPERATOR_TOKEN, id = 'pay') =>
    fetch(`${nodeRed.base}/relaycast-payout/${id}/invite`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  /** The role signaling admits a join with this token as ('refused' when it does not). */
  const joinAs = async (token: string): Promise<string> => {
    const client = new SignalClient(`${nodeRed.base.replace(/^http/, 'ws')}/relaycast/signal`);
    clients.push(client);
    try {
      const welcome = await client.join('demo', 'main', { role: 'supporter', token });
      return String(welcome.role ?? 'supporter');
    } catch {
      return 'refused';
    } finally {
      client.ws.close();
    }
  };
  const summary = (token: string) => fetch(`${nodeRed.base}/relaycast/payout/me`, { headers: { Authorization: `Bearer ${token}` } });
  let issued: { supporter: string; stream: string; token: string; link: string; command: string; renditionsKnown: boolean };

  before(async () => {
    userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-invite-'));
    await start(true);
  });

  after(async () => {
    for (const c of clients) c.ws.close();
    await nodeRed?.stop();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('needs the relaycast-payout.write permission: no token and a read-only token are refused', async () => {
    const body = { supporter: 'alice', stream: 'demo', origin: nodeRed.base };
    assert.equal((await invite(body, null)).status, 401);
    assert.equal((await invite(body, READER_TOKEN)).status, 401);
  });

  it('refuses bad input with a code, issuing nothing', async () => {
    const good = { supporter: 'alice', stream: 'demo', origin: nodeRed.base };
    const cases: Array<[unknown, number, string, string]> = [
      [{ ...good, supporter: 'alice smith' }, 400, 'E_INVITE_INPUT', 'a supporter id with a space'],
      [{ ...good, supporter: 'x'.repeat(200) }, 400, 'E_INVITE_INPUT', 'an over-long supporter id'],
      [{ ...good, stream: '../etc' }, 400, 'E_INVITE_INPUT', 'a stream that is no id'],
      [{ ...good, origin: 'javascript:alert(1)' }, 400, 'E_INVITE_INPUT', 'an origin that is no http(s) URL'],
      [{ ...good, origin: `${nodeRed.base}/some/path` }, 400, 'E_INVITE_INPUT', 'an origin with a path'],
      [['alice'], 400, 'E_INVITE_INPUT', 'an array body'],
    ];
    for (const [body, status, code, what] of cases) {
      const res = await invite(body);
      assert.equal(res.status, status, what);
      assert.equal(((await res.json()) as { code: string }).code, code, what);
    }
    const missing = await invite(good, OPERATOR_TOKEN, 'no-such-node');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'E_INVITE_NOT_RUNNING');
    assert.doesNotMatch(readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8'), /alice/, 'nothing was added');
  });

  it('issues a token that signaling admits as that supporter at once and the summary knows, with the link and the command', async () => {
    const res = await invite({ supporter: 'alice', stream: 'demo', origin: nodeRed.base });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    issued = (await res.json()) as typeof issued;
    assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.link, `${nodeRed.base}/live/demo/#supporter=${issued.token}`);
    const ws = nodeRed.base.replace(/^http/, 'ws');
    assert.equal(
      issued.command,
      `RELAYCAST_SUPPORTER_TOKEN=${issued.token} npx relaycast-supporter --signaling ${ws}/relaycast/signal --carry demo/<rendition> --credit-url ${nodeRed.base}/relaycast/payout/me`,
    );
    assert.equal(issued.renditionsKnown, false, 'no segment announced yet');

    assert.equal(await joinAs(issued.token), 'supporter', 'signaling admits the new token without a deploy');
    assert.equal(await joinAs(BOB_TOKEN), 'supporter', 'the tokens issued before still work');
    assert.equal(await joinAs(`${issued.token.slice(0, -1)}x`), 'refused');
    const me = await summary(issued.token);
    assert.equal(me.status, 200, "payout's summary knows the token (through signaling)");
    assert.equal(((await me.json()) as { supporter: string }).supporter, 'alice');
    assert.ok(!nodeRed.output().includes(issued.token), 'Node-RED logged nothing of the token');
  });

  it("payout's dialog in the editor issues a token and shows the link and the command", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      // Signed in with the operator's token, as Node-RED's own login redirect does.
      await page.goto(`${nodeRed.base}/?access_token=${OPERATOR_TOKEN}`);
      await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes?.node?.('pay') !== undefined, undefined, { timeout: 60_000 });
      await page.evaluate(() => RED.editor.edit(RED.nodes.node('pay')));
      await page.locator('#relaycast-invite-supporter').fill('dave');
      await page.locator('#relaycast-invite-stream').fill('demo');
      await page.locator('#relaycast-invite-issue').click();
      await page.waitForFunction(() => (document.getElementById('relaycast-invite-link') as HTMLInputElement | null)?.value !== '', undefined, {
        timeout: 20_000,
      });
      const link = await page.locator('#relaycast-invite-link').inputValue();
      const command = await page.locator('#relaycast-invite-command').inputValue();
      const token = /#supporter=([A-Za-z0-9_-]{43})$/.exec(link)?.[1] ?? '';
      assert.equal(link, `${nodeRed.base}/live/demo/#supporter=${token}`);
      assert.ok(command.startsWith(`RELAYCAST_SUPPORTER_TOKEN=${token} npx relaycast-supporter --signaling `), command);
      assert.match(await page.locator('#relaycast-invite-message').innerText(), /dave/);
      assert.equal(await page.evaluate(() => RED.nodes.dirty()), true, 'Deploy is lit, so the next deploy stores the token');
      assert.equal(await joinAs(token), 'supporter', 'the token from the dialog is admitted');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }
  });

  it('keeps the token through a deploy and a restart: it is a line of the signaling node’s credentials', async () => {
    const headers = { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2' };
    const current = (await (await fetch(`${nodeRed.base}/flows`, { headers })).json()) as { flows: unknown[]; rev: string };
    const before = nodeRed.started('full');
    const deployed = await fetch(`${nodeRed.base}/flows`, {
      method: 'POST',
      headers: { ...headers, 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(current),
    });
    assert.equal(deployed.status, 200);
    await until(() => nodeRed.started('full') > before, 'the deploy to restart the flows');
    const stored = JSON.parse(readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as Record<string, { supporterTokens?: string }>;
    assert.match(stored.sig.supporterTokens ?? '', new RegExp(`^bob:${BOB_TOKEN}\nalice:${issued.token}\ndave:[A-Za-z0-9_-]{43}$`));
    assert.equal(await joinAs(issued.token), 'supporter', 'admitted after the deploy');

    await nodeRed.stop();
    await start(false);
    assert.equal(await joinAs(issued.token), 'supporter', 'admitted after a restart');
    assert.equal((await summary(issued.token)).status, 200);
    assert.ok(!nodeRed.output().includes(issued.token), 'Node-RED logged nothing of the token');
  });
});
