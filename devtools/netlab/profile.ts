// Lab profiles are files (profiles/*.json), validated here. A profile says what kind of homes an
// audience has; homesFor() turns it into N concrete homes, the same N homes every run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { seededRandom } from '../fault-proxy/seeded-random';
import type { HomeSpec } from './home-spec';

const Share = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const Mbit = v.pipe(v.number(), v.minValue(0.1), v.maxValue(10_000));

const ProfileFile = v.strictObject({
  description: v.pipe(v.string(), v.maxLength(500)),
  /** Another profile this one adds to (its fields first, these over them). */
  extends: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/))),
  nat: v.optional(v.boolean()),
  /** Uplinks in Mb/s, dealt to the homes in turn; absent: uncapped. */
  uplinksMbit: v.optional(v.pipe(v.array(Mbit), v.minLength(1), v.maxLength(50))),
  /** Downlinks spread evenly over [min, max] Mb/s; absent: uncapped. */
  downlinkMbit: v.optional(v.strictObject({ min: Mbit, max: Mbit })),
  symmetricShare: v.optional(Share),
  udpBlockedHomes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  uploadOffShare: v.optional(Share),
  /** Every `everySeconds`, this share of the viewers leaves and as many new ones join. */
  churn: v.optional(v.strictObject({ share: Share, everySeconds: v.pipe(v.number(), v.minValue(5)) })),
  seed: v.optional(v.pipe(v.number(), v.integer())),
});
type ProfileFile = v.InferOutput<typeof ProfileFile>;

export interface Profile extends Omit<ProfileFile, 'extends'> {
  name: string;
}

const DIR = path.join(__dirname, 'profiles');

function readProfileFile(name: string): ProfileFile {
  if (!/^[a-z0-9-]+$/.test(name)) throw Object.assign(new Error(`netlab: profile name "${name}" is not a-z, 0-9 and -`), { code: 'E_NETLAB_PROFILE' });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8'));
  } catch (err) {
    throw Object.assign(new Error(`netlab: profile "${name}" cannot be read: ${(err as Error).message}`), { code: 'E_NETLAB_PROFILE' });
  }
  const parsed = v.safeParse(ProfileFile, raw);
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ');
    throw Object.assign(new Error(`netlab: profile "${name}" is invalid: ${issues}`), { code: 'E_NETLAB_PROFILE' });
  }
  return parsed.output;
}

export function loadProfile(name: string, seen: string[] = []): Profile {
  if (seen.includes(name)) throw Object.assign(new Error(`netlab: profiles extend in a loop: ${[...seen, name].join(' → ')}`), { code: 'E_NETLAB_PROFILE' });
  const file = readProfileFile(name);
  const { extends: base, ...own } = file;
  const inherited = base ? loadProfile(base, [...seen, name]) : {};
  return { ...inherited, ...own, name };
}

/** Picks `count` distinct indexes of 0..n-1 from `pool`, in the profile's seeded order. */
function pick(pool: number[], count: number, random: () => number): Set<number> {
  const shuffled = [...pool];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return new Set(shuffled.slice(0, Math.max(0, Math.min(count, shuffled.length))));
}

/** The profile's first n homes (indexes from `firstIndex`, 1-based). */
export function homesFor(profile: Profile, n: number, firstIndex = 1): HomeSpec[] {
  const random = seededRandom(profile.seed ?? 20);
  const all = [...Array(n).keys()];
  const symmetric = profile.nat ? pick(all, Math.round(n * (profile.symmetricShare ?? 0)), random) : new Set<number>();
  const udpBlocked = pick(
    all.filter((i) => !symmetric.has(i)),
    profile.udpBlockedHomes ?? 0,
    random,
  );
  const uploadOff = pick(all, Math.round(n * (profile.uploadOffShare ?? 0)), random);
  const down = profile.downlinkMbit;
  return all.map((i) => ({
    index: firstIndex + i,
    nat: !profile.nat ? 'none' : symmetric.has(i) ? 'symmetric' : 'endpoint-independent',
    udpBlocked: udpBlocked.has(i),
    uplinkMbit: profile.uplinksMbit?.[i % profile.uplinksMbit.length],
    downlinkMbit: down ? Math.round(down.min + ((down.max - down.min) * i) / Math.max(1, n - 1)) : undefined,
    uploadOff: uploadOff.has(i),
  }));
}
