/**
 * Command-line demo encoder: replays a fixture into a folder like a live encoder.
 *
 *   npx tsx devtools/demo-encoder/cli.ts --fixture test/fixtures/hls/ts-multi --out /tmp/x \
 *     --speed 1 --loop --order ffmpeg
 *
 * Prints every file it writes. Ctrl-C (SIGINT) or SIGTERM stops it cleanly, appending
 * EXT-X-ENDLIST like ffmpeg does on SIGTERM.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DemoEncoder, type DemoEncoderOptions, type WriteOrder } from './demo-encoder';

const USAGE = `Usage: tsx devtools/demo-encoder/cli.ts --fixture <folder> --out <folder> [options]

  --fixture <folder>        fixture folder containing fixture.json (e.g. test/fixtures/hls/ts-multi)
  --out <folder>            output folder (created if missing)
  --speed <n>               1 = real time (default), 10 = ten times faster, "max" = no waiting
  --order <order>           ffmpeg (default) | srs | playlist-first
  --loop                    replay the fixture forever (EXT-X-DISCONTINUITY at each wrap)
  --segments <n>            stop after n segments per rendition
  --list-size <n>           segments in the live playlist (default 5)
  --delete-threshold <n>    unreferenced segments kept before deletion (default 1)
  --no-endlist              do not append EXT-X-ENDLIST on stop
  --master-at <when>        start (default) | first-segment (as ffmpeg 5.1 does)
  --quiet                   print only start and stop
`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer (got ${value})`);
  return n;
}

function parseOptions(argv: string[]): { options: DemoEncoderOptions; quiet: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      fixture: { type: 'string' },
      out: { type: 'string' },
      speed: { type: 'string' },
      order: { type: 'string' },
      loop: { type: 'boolean' },
      segments: { type: 'string' },
      'list-size': { type: 'string' },
      'delete-threshold': { type: 'string' },
      'no-endlist': { type: 'boolean' },
      'master-at': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!values.fixture || !values.out) throw new Error('--fixture and --out are required');
  const speed = values.speed === undefined ? 1 : values.speed === 'max' || values.speed === 'Infinity' ? Infinity : Number(values.speed);
  return {
    quiet: values.quiet === true,
    options: {
      fixture: values.fixture,
      outDir: values.out,
      speed,
      writeOrder: (values.order ?? 'ffmpeg') as WriteOrder,
      loop: values.loop === true,
      segments: integer('segments', values.segments),
      listSize: integer('list-size', values['list-size']),
      deleteThreshold: integer('delete-threshold', values['delete-threshold']),
      endList: values['no-endlist'] !== true,
      masterWrittenAt: (values['master-at'] ?? 'start') as DemoEncoderOptions['masterWrittenAt'],
    },
  };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { options, quiet } = parsed;
  const outDir = path.resolve(options.outDir);
  const relative = (p: string): string => path.relative(outDir, p);
  const encoder = new DemoEncoder(options);

  if (!quiet) {
    encoder.on('segment', (s) => {
      const mark = s.discontinuity ? ' (discontinuity)' : '';
      console.log(`segment  ${relative(s.path)}  #${s.sequence}  ${s.duration.toFixed(3)} s  ${s.byteLength} B${mark}`);
    });
    encoder.on('playlist', (p) => {
      console.log(`playlist ${relative(p.path)}  ${p.mediaSequence}..${p.lastSequence}${p.endList ? '  EXT-X-ENDLIST' : ''}`);
    });
    encoder.on('deleted', (d) => console.log(`deleted  ${relative(d.path)}`));
  }
  encoder.on('error', (err: Error) => {
    console.error(`demo encoder failed: ${err.message}`);
    process.exitCode = 1;
  });

  let stopping = false;
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    void encoder.stop();
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);

  try {
    await encoder.start();
  } catch (err) {
    console.error(`demo encoder could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(`demo encoder: ${options.fixture} → ${outDir} (speed ${options.speed}, order ${options.writeOrder}${options.loop ? ', loop' : ''})`);
  try {
    await encoder.finished();
    console.log(`stopped after writing ${encoder.written.length} segment files`);
  } catch {
    process.exitCode = 1;
  }
  process.off('SIGINT', stopOnSignal);
  process.off('SIGTERM', stopOnSignal);
}

void main();
