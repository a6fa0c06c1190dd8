import assert from 'node:assert/strict';
import { withoutBlockingReload } from '../../../bench/support/p2pml-origin';
import { P2PML_PACKAGES } from '../../../bench/support/p2pml-install';

describe('p2p-media-loader baseline', () => {
  it('serves live playlists without blocking reload, which p2p-media-loader 2.3 cannot follow', () => {
    const media = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES', '#EXTINF:2.0,', 'seg_1.ts', ''].join(
      '\n',
    );
    assert.equal(withoutBlockingReload(media), ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXTINF:2.0,', 'seg_1.ts', ''].join('\n'));
  });

  it('keeps the other server-control attributes and every other line as they were', () => {
    assert.equal(
      withoutBlockingReload('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0\nseg.ts'),
      '#EXT-X-SERVER-CONTROL:PART-HOLD-BACK=1.0\nseg.ts',
    );
    assert.equal(withoutBlockingReload('#EXT-X-SERVER-CONTROL:HOLD-BACK=6.0,CAN-BLOCK-RELOAD=YES'), '#EXT-X-SERVER-CONTROL:HOLD-BACK=6.0');
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nbench/index.m3u8\n';
    assert.equal(withoutBlockingReload(master), master);
  });

  it('pins exact versions, so that runs compare', () => {
    for (const [name, version] of Object.entries(P2PML_PACKAGES)) assert.match(version, /^\d+\.\d+\.\d+$/, name);
  });
});
