/** What a msg asks the supporter node to do, and the byte figures its status shows. */
import { RelaycastError } from '../../lib/errors';

export type Command = 'on' | 'off' | 'stats' | 'credit';

const WORDS: Record<string, Command> = {
  on: 'on',
  start: 'on',
  true: 'on',
  '1': 'on',
  off: 'off',
  stop: 'off',
  false: 'off',
  '0': 'off',
  stats: 'stats',
  credit: 'credit',
};

/** `msg.payload` true/false/"on"/"off"/"start"/"stop", or `msg.topic` "stats"/"credit". */
export function commandOf(msg: { topic?: unknown; payload?: unknown }): Command {
  if (msg.topic === 'stats' || msg.topic === 'credit') return msg.topic;
  const p = msg.payload;
  const word = typeof p === 'boolean' || typeof p === 'number' ? String(p) : typeof p === 'string' ? p.trim().toLowerCase() : undefined;
  const command = word !== undefined ? WORDS[word] : undefined;
  if (!command) throw new RelaycastError('E_SUPPORTER_INPUT', 'send payload on/off (true/false, start/stop), or topic stats or credit');
  return command;
}

export function formatBytes(n: number): string {
  if (n < 1e3) return `${n}B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)}kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}MB`;
  return `${(n / 1e9).toFixed(2)}GB`;
}
