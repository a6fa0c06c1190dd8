#!/usr/bin/env bash
# Regenerates the real HLS fixtures under test/fixtures/hls/ with ffmpeg (tested with Debian's
# ffmpeg 5.1). Every fixture is ffmpeg's own VOD-complete output of a synthetic source (testsrc2
# video + a sine tone), 12 s long, cut into 2 s GOP-aligned segments, at a low bitrate so the whole
# tree stays a few MB. The hand-written fixture.json files are kept; only media is regenerated.
#
# Usage: scripts/make-fixtures.sh            (from the repository root or anywhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/test/fixtures/hls"
FFMPEG="${FFMPEG:-ffmpeg}"

FPS=30
SEGMENT_SECONDS=2
GOP=$((FPS * SEGMENT_SECONDS)) # a keyframe starts every segment, as Owncast configures it
DURATION=12                    # 6 segments
# Owncast gives every streaming session a random short id; the fixture pins one for reproducibility.
OWNCAST_SHORTID="${OWNCAST_SHORTID:-Kq7vX2mB}"

# Two lavfi inputs: the animated test card and a 1 kHz tone. Video is generated at the largest
# size and scaled down per rendition, the way an ABR ladder is encoded.
INPUTS=(-f lavfi -i "testsrc2=size=640x360:rate=${FPS}" -f lavfi -i "sine=frequency=1000:sample_rate=48000")

# Shared encoder settings: H.264 baseline (CODECS avc1.42c01e like the reference observation),
# fixed GOP, no scene-cut keyframes, closed GOPs, bitexact muxing where ffmpeg allows it.
X264=(-c:v libx264 -preset veryfast -profile:v baseline -pix_fmt yuv420p
  -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -flags +cgop)
AAC=(-c:a aac -b:a 64k -ac 2 -ar 48000)
HLS_VOD=(-f hls -hls_time "$SEGMENT_SECONDS" -hls_list_size 0 -hls_playlist_type vod
  -hls_flags program_date_time+independent_segments)

log() { printf '\n== %s\n' "$*"; }

# Removes the generated media of one fixture (playlists and segments) but keeps fixture.json.
clean_media() {
  local dir="$1"
  mkdir -p "$dir"
  find "$dir" -type f \( -name '*.m3u8' -o -name '*.ts' -o -name '*.m4s' -o -name '*.mp4' \) -delete
  find "$dir" -mindepth 1 -type d -empty -delete
}

run_ffmpeg() {
  "$FFMPEG" -hide_banner -loglevel error -y "$@"
}

log "ts-single: one MPEG-TS rendition"
clean_media "$OUT/ts-single"
(cd "$OUT/ts-single" && run_ffmpeg "${INPUTS[@]}" -t "$DURATION" \
  -map 0:v -map 1:a "${X264[@]}" -b:v 350k -maxrate 400k -bufsize 700k "${AAC[@]}" \
  "${HLS_VOD[@]}" -hls_segment_filename 'seg_%05d.ts' index.m3u8)

log "fmp4-single: one fMP4 rendition with EXT-X-MAP"
clean_media "$OUT/fmp4-single"
(cd "$OUT/fmp4-single" && run_ffmpeg "${INPUTS[@]}" -t "$DURATION" \
  -map 0:v -map 1:a "${X264[@]}" -b:v 350k -maxrate 400k -bufsize 700k "${AAC[@]}" \
  "${HLS_VOD[@]}" -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
  -hls_segment_filename 'seg_%05d.m4s' index.m3u8)

log "ts-multi: three MPEG-TS renditions and a master playlist (var_stream_map)"
clean_media "$OUT/ts-multi"
(cd "$OUT/ts-multi" && run_ffmpeg "${INPUTS[@]}" -t "$DURATION" \
  -filter_complex "[0:v]split=3[v0][v1][v2];[v1]scale=480:270[v1s];[v2]scale=320:180[v2s]" \
  -map '[v0]' -map '[v1s]' -map '[v2s]' -map 1:a -map 1:a -map 1:a \
  "${X264[@]}" \
  -b:v:0 350k -maxrate:v:0 400k -bufsize:v:0 700k \
  -b:v:1 200k -maxrate:v:1 240k -bufsize:v:1 400k \
  -b:v:2 100k -maxrate:v:2 120k -bufsize:v:2 200k \
  "${AAC[@]}" \
  "${HLS_VOD[@]}" -master_pl_name master.m3u8 \
  -var_stream_map 'v:0,a:0 v:1,a:1 v:2,a:2' \
  -hls_segment_filename '%v/seg_%05d.ts' '%v/index.m3u8')

log "owncast: Owncast's tree (hls/stream.m3u8 master, hls/<v>/stream-<shortid>-<n>.ts)"
clean_media "$OUT/owncast"
# Owncast points ffmpeg at its own HTTP receiver, which stores the files under hls/ with the names
# ffmpeg asked for; writing the same names to disk gives the same tree.
(cd "$OUT/owncast" && mkdir -p hls && cd hls && run_ffmpeg "${INPUTS[@]}" -t "$DURATION" \
  -filter_complex "[0:v]split=2[v0][v1];[v1]scale=320:180[v1s]" \
  -map '[v0]' -map '[v1s]' -map 1:a -map 1:a \
  "${X264[@]}" \
  -b:v:0 350k -maxrate:v:0 400k -bufsize:v:0 700k \
  -b:v:1 120k -maxrate:v:1 150k -bufsize:v:1 240k \
  "${AAC[@]}" \
  "${HLS_VOD[@]}" -master_pl_name stream.m3u8 \
  -var_stream_map 'v:0,a:0 v:1,a:1' \
  -hls_segment_filename "%v/stream-${OWNCAST_SHORTID}-%d.ts" '%v/stream.m3u8')

log "sizes"
du -sh "$OUT"/*/ "$OUT"

# LL-HLS parts (test/fixtures/ll-parts): ffmpeg cutting 1/3 s MPEG-TS parts by time (split_by_time),
# a keyframe forced every second and no B-frames (so every part lasts exactly 10 frames), as the
# low-latency live encoder writes them (bench/support/live-encoder.ts). 2.4 s: two whole segments
# and the first part of a third. lib/ll-hls's packager specs group these real parts.
log "ll-parts: 1/3 s MPEG-TS parts, a keyframe every second"
PARTS="$ROOT/test/fixtures/ll-parts"
clean_media "$PARTS"
(cd "$PARTS" && run_ffmpeg -f lavfi -i "testsrc2=size=160x90:rate=${FPS}" -f lavfi -i "sine=frequency=1000:sample_rate=48000" -t 2.4 \
  -c:v libx264 -preset veryfast -bf 0 -pix_fmt yuv420p -g "$FPS" -keyint_min "$FPS" -sc_threshold 0 \
  -force_key_frames 'expr:gte(t,n_forced*1)' -b:v 100k "${AAC[@]}" \
  -f hls -hls_time 0.333333 -hls_list_size 0 -hls_playlist_type vod -hls_flags split_by_time+program_date_time+independent_segments \
  -hls_segment_filename 'part_%05d.ts' parts.m3u8)
