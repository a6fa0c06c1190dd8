// ManifestPublisher: the order every playlist version follows (apply → persist → serve → confirm →
// send), case by case, with the state sink, the endpoints and the receipts recorded as events.
import assert from 'node:assert/strict';
import { ManifestCore, ManifestPublisher, type ManifestOptions } from '../../../lib/manifest';
import { RelaycastError } from '../../../lib/errors';
import { lifecycleMsg, segmentMsg } from '../../support/manifest-msgs';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function setup(options: Partial<ManifestOptions> = {}) {
  const events: string[] = [];
  let now = T0;
  const core = new ManifestCore({ clock: () => now, ...options });
  /** Saves wait until `release()`, so a spec can look at what is served while one is under way. */
  let pending: Array<() => void> = [];
  let holdSaves = false;
  const publisher = new ManifestPublisher({
    core,
    state: {
      saveDurably: () => {
        events.push('save');
        return holdSaves ? new Promise<void>((resolve) => pending.push(resolve)) : Promise.resolve();
      },
    },
    served: (p) => events.push(`served ${p.rendition}#${p.mediaSequence}`),
    confirm: (stream, rendition, session, sequence) => events.push(`confirm ${stream}/${rendition}/${session}/${sequence}`),
  });
  return {
    core,
    publisher,
    events,
    hold: () => {
      holdSaves = true;
    },
    release: () => {
      const waiting = pending;
      pending = [];
      holdSaves = false;
      for (const resolve of waiting) resolve();
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ManifestPublisher (apply → persist → serve → confirm → send)', () => {
  it("saves a segment's state before it serves the new version, and confirms the segment after both", async () => {
    const { publisher, events } = setup();
    const { playlists, segment } = await publisher.apply(segmentMsg({ sequence: 0 }));
    assert.deepEqual(events, ['save', 'served main#0', 'confirm demo/main/s1/0']);
    assert.deepEqual(
      playlists.map((p) => p.rendition),
      ['main', null],
      'the media playlist, then the master',
    );
    assert.equal(segment?.sequence, 0, 'the segment that made them goes with them');
  });

  it('serves nothing new while the save is under way', async () => {
    const { publisher, hold, release } = setup();
    await publisher.apply(segmentMsg({ sequence: 0 }));
    hold();
    const applying = publisher.apply(segmentMsg({ sequence: 1 }));
    await Promise.resolve();
    assert.match(publisher.durable.mediaPlaylist('demo', 'main')!.text, /seg_00000\.ts\n$/, 'still the saved version');
    release();
    await applying;
    assert.match(publisher.durable.mediaPlaylist('demo', 'main')!.text, /seg_00001\.ts\n$/);
  });

  it("saves and confirms a refused msg (handled for good), serves nothing, and rethrows the core's coded error", async () => {
    const { publisher, events } = setup();
    await publisher.apply(segmentMsg({ sequence: 3 }));
    events.length = 0;
    await assert.rejects(
      publisher.apply(segmentMsg({ sequence: 1 })),
      (err: unknown) => err instanceof RelaycastError && err.code === 'E_MANIFEST_OUT_OF_ORDER',
    );
    assert.deepEqual(events, ['save', 'confirm demo/main/s1/1']);
  });

  it('neither saves nor confirms a msg that will come again (hls-watch resends what it skipped first)', async () => {
    const { publisher, events } = setup({ resendRequest: () => true });
    await publisher.apply(segmentMsg({ sequence: 0 }));
    events.length = 0;
    const result = await publisher.apply(segmentMsg({ sequence: 2 }));
    assert.deepEqual(result, { playlists: [], comesAgain: true });
    assert.deepEqual(events, []);
  });

  it('sends no segment with the playlists a lifecycle msg makes, and confirms only segment and gap msgs', async () => {
    const { publisher, events } = setup({ endGraceSeconds: 0 });
    await publisher.apply(segmentMsg({ sequence: 0 }));
    events.length = 0;
    const { playlists, segment } = await publisher.apply(lifecycleMsg('ended', { sequence: 0 }));
    assert.equal(segment, undefined);
    assert.ok(
      playlists.some((p) => p.ended),
      'the ENDLIST version',
    );
    assert.ok(!events.some((e) => e.startsWith('confirm')), JSON.stringify(events));
    assert.equal(events[0], 'save');
  });

  it('ends an idle stream through the same order, and does nothing (no save) when nothing is due', async () => {
    const { publisher, events, advance } = setup();
    await publisher.apply(segmentMsg({ sequence: 0 }));
    events.length = 0;
    assert.deepEqual(await publisher.endStreams(60_000), []);
    assert.equal(events.length, 0, 'nothing due: nothing saved');
    advance(61_000);
    const ended = await publisher.endStreams(60_000);
    assert.ok(ended.length > 0 && ended.every((p) => p.ended));
    assert.equal(events[0], 'save');
    assert.ok(
      events.slice(1).every((e) => e.startsWith('served')),
      JSON.stringify(events),
    );
    assert.deepEqual(await publisher.endStreams(0), [], 'idle end off (0): nothing more');
  });

  it('refuses a msg its check refuses before the core sees it (nothing saved, nothing confirmed)', async () => {
    const events: string[] = [];
    const core = new ManifestCore({});
    const publisher = new ManifestPublisher({
      core,
      state: {
        saveDurably: async () => {
          events.push('save');
        },
      },
      check: (_stream, rendition) => {
        if (rendition === 'master') throw new RelaycastError('E_MANIFEST_SHADOWED', 'shadowed');
      },
      served: () => events.push('served'),
      confirm: () => events.push('confirm'),
    });
    await assert.rejects(publisher.apply(segmentMsg({ sequence: 0, rendition: 'master' })), { code: 'E_MANIFEST_SHADOWED' });
    assert.deepEqual(events, []);
    assert.deepEqual(core.streamIds(), []);
  });
});
