#!/usr/bin/env bash
# A short fuzzing run, as CI does it: every target in turn for FUZZ_SECONDS
# in total (60 by default), seeded with the sample files (../shared/samples)
# and the hostile files the engine's `hostile_files` test checks
# (shared/engine/tests/hostile/files.rs, written out by write_seeds.rs). Exits
# non-zero on any crash, panic, broken property, timeout or memory blow-up;
# libFuzzer leaves the input in tests/fuzz/artifacts/<target>/.
#
# Runs on the stable toolchain: cargo-fuzz passes rustc a few nightly-only
# flags (the sanitizer, coverage instrumentation), which stable accepts with
# RUSTC_BOOTSTRAP=1.
#
#   tests/fuzz/smoke.sh                      # about a minute after the build
#   FUZZ_SECONDS=1320 tests/fuzz/smoke.sh    # a long run: 11 minutes a target
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO="${CARGO:-cargo}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
# Small inputs run far faster than the 1 MB seeds, which are cut to this;
# what only large files reach (past the 64 KiB detection reads) the
# hostile_files test covers. FUZZ_MAX_LEN=131072 fuzzes across that edge.
FUZZ_MAX_LEN="${FUZZ_MAX_LEN:-16384}"
SAMPLES="${SAMPLES_DIR:-../shared/samples}"
FUZZ=tests/fuzz
TARGETS=(engine options)
export RUSTC_BOOTSTRAP=1

if ! "$CARGO" fuzz --version >/dev/null 2>&1; then
  "$CARGO" install cargo-fuzz --locked
fi

# Seeds: rebuilt on every run, never committed.
seeds="$FUZZ/corpus/seeds"
test -d "$SAMPLES" || { echo "smoke: $SAMPLES is missing" >&2; exit 1; }
rm -rf "$seeds" "$FUZZ/corpus/seeds-options"
mkdir -p "$seeds" "$FUZZ/corpus/seeds-options"
find "$SAMPLES" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.txt' \) -exec cp {} "$seeds"/ \;
mkdir -p "$FUZZ/target"
"${RUSTC:-rustc}" --edition 2024 -O -o "$FUZZ/target/write-seeds" "$FUZZ/write_seeds.rs"
"$FUZZ/target/write-seeds" "$seeds"
# The `options` target reads its first 8 bytes as options (see `case_from`
# in src/lib.rs): each seed behind three of them. The defaults in EC;
# add_new by email in BR, `;` declared, a mapping by hand and a tag;
# update_existing in MY with a quota of 3, `|` and Windows-1252 declared.
selectors=('\2\0\1\200\0\0\0\0' '\0\2\2\200\1\23\1\0' '\1\123\3\3\0\0\2\0')
for file in "$seeds"/*; do
  for i in "${!selectors[@]}"; do
    { printf "${selectors[$i]}"; cat "$file"; } >"$FUZZ/corpus/seeds-options/$i-$(basename "$file")"
  done
done

per_target=$((FUZZ_SECONDS / ${#TARGETS[@]}))
for target in "${TARGETS[@]}"; do
  seed_dir="$seeds"
  [ "$target" = options ] && seed_dir="$FUZZ/corpus/seeds-options"
  mkdir -p "$FUZZ/corpus/$target"
  echo "smoke: fuzzing $target for ${per_target}s"
  # The first corpus folder collects what the run finds; longer seeds are
  # cut to FUZZ_MAX_LEN. One input may take at most 10 s and allocate at
  # most 256 MiB at once, the process hold at most 2 GiB. Leak checks are
  # off: `validate` checks rows on scoped threads, which end a moment after
  # their work is joined, so their thread-locals would show as leaks.
  "$CARGO" fuzz run --fuzz-dir "$FUZZ" "$target" "$FUZZ/corpus/$target" "$seed_dir" -- \
    -max_total_time="$per_target" -max_len="$FUZZ_MAX_LEN" -timeout=10 \
    -malloc_limit_mb=256 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1
done
echo "smoke: no crash in ${FUZZ_SECONDS}s"
