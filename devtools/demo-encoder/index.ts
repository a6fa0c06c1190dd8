/**
 * The demo encoder: replays a committed HLS fixture into a folder the way a live encoder writes
 * it. See demo-encoder.ts for the behaviour and cli.ts for the command-line program.
 */
export { DemoEncoder } from './demo-encoder';
export type { DemoEncoderOptions, PlaylistWritten, SegmentDeleted, WriteOrder, WrittenSegment } from './demo-encoder';
export { loadFixture, sha256Hex } from './fixture';
export type { FixtureDescription, FixtureRendition, FixtureSegment, LoadedFixture } from './fixture';
