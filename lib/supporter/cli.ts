#!/usr/bin/env node
/**
 * relaycast-supporter: the supporter peer for friends without Node-RED, the same Supporter (and so
 * the same peer engine) as the relaycast-supporter node.
 *
 *   RELAYCAST_SUPPORTER_TOKEN=… npx relaycast-supporter --signaling wss://host/relaycast/signal --stream demo --rendition main
 *   npx relaycast-supporter --signaling … --carry demo/main,demo/low --token-file ~/.relaycast-token
 *
 * The token comes from a file or the environment, never from the command line (which `ps` shows
 * to every user of the machine).
 */
import { readFileSync } from 'node:fs';
import { RelaycastError, toRelaycastError } from '../errors';
import { loadWebRtc, nodePlatform } from './node-platform';
import { checkToken, parseSettings, supporterNumber, type RawSettings } from './config';
import { SUPPORTER_NUMBERS } from './number-fields';
import { Supporter } from './supporter';

export const USAGE = `usage: relaycast-supporter --signaling <ws(s)://…> (--stream <id> --rendition <id> | --carry <stream/rendition,…>)
       [--token-file <path>] [--upload-kbps <n>] [--memory-mb <n>] [--max-peers <n>] [--credit-url <https://…/me>] [--stats-every <s>]
The token is read from --token-file, else from the environment variable RELAYCAST_SUPPORTER_TOKEN.`;

export interface CliArgs {
  settings: RawSettings;
  tokenFile?: string;
  statsEverySeconds: number;
  help: boolean;
}

const FLAGS: Record<string, string> = {
  '--signaling': 'signalingUrl',
  '--carry': 'swarms',
  '--upload-kbps': 'uploadKBps',
  '--memory-mb': 'memoryMB',
  '--max-peers': 'maxPeers',
  '--credit-url': 'creditUrl',
};

export function parseArgs(argv: string[]): CliArgs {
  const settings: Record<string, unknown> = {};
  let stream: string | undefined;
  let rendition: string | undefined;
  let tokenFile: string | undefined;
  let statsEvery: string | undefined;
  const carry: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return { settings, statsEverySeconds: SUPPORTER_NUMBERS.statsEvery.fallback, help: true };
    if (flag === '--token')
      throw new RelaycastError('E_SUPPORTER_TOKEN', 'never pass the token on the command line: use --token-file or RELAYCAST_SUPPORTER_TOKEN');
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new RelaycastError('E_SUPPORTER_CONFIG', `${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === '--stream') stream = value;
    else if (flag === '--rendition') rendition = value;
    else if (flag === '--token-file') tokenFile = value;
    else if (flag === '--stats-every') statsEvery = value;
    else if (flag === '--carry') carry.push(value);
    else if (FLAGS[flag]) settings[FLAGS[flag]] = value;
    else throw new RelaycastError('E_SUPPORTER_CONFIG', `unknown option ${flag}\n${USAGE}`);
  }
  if (stream !== undefined || rendition !== undefined) carry.push(`${stream ?? ''}/${rendition ?? ''}`);
  settings.swarms = carry.join(',');
  return { settings, tokenFile, statsEverySeconds: supporterNumber(statsEvery, 'statsEvery', '--stats-every'), help: false };
}

export function readToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new RelaycastError('E_SUPPORTER_TOKEN', `cannot read the token file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return checkToken(text);
  }
  return checkToken(env.RELAYCAST_SUPPORTER_TOKEN);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const settings = parseSettings(args.settings);
  const token = readToken(args.tokenFile, process.env);
  loadWebRtc();
  const supporter = new Supporter({ platform: nodePlatform(), settings, token });
  supporter.on('joined', (s) => console.error(`joined ${s.stream}/${s.rendition} as a supporter`));
  supporter.on('refused', (code, s) => console.error(`signaling refused ${s.stream}/${s.rendition}: ${code} (check the token); retrying with backoff`));
  supporter.start();
  // One JSON line of figures per interval on stdout, for a log or a pipe.
  const timer = setInterval(() => console.log(JSON.stringify({ time: new Date().toISOString(), ...supporter.stats() })), args.statsEverySeconds * 1000);
  const stop = (): void => {
    clearInterval(timer);
    supporter.close();
    console.error('left the swarms');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    const error = toRelaycastError(err);
    console.error(`relaycast-supporter: ${error.code}: ${error.message}`);
    process.exit(2);
  }
}
