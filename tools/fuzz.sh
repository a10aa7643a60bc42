#!/usr/bin/env bash
# Licensed under the Apache License, Version 2.0 or the MIT License.
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# tools/fuzz.sh SECONDS [FILTER]: builds every cargo-fuzz crate in the
# repository (each `*/fuzz/Cargo.toml`) and runs each of its targets for
# SECONDS, one after the other, starting from its committed seeds
# (`fuzz/seeds/<target>/`, read only) and its dictionary (`fuzz/<target>.dict`)
# into a scratch corpus (`fuzz/corpus/<target>/`, git-ignored). Fails if any
# target crashes, hangs or runs out of memory, printing the reproducer.
# FILTER (a substring of "crate-dir:target") runs only matching targets.
# FUZZ_FRESH=1 starts each target from its seeds alone (a scratch corpus in
# build/fuzz/fresh/), so a short run lasts SECONDS however much earlier runs
# found. All crates build into build/fuzz/target (libFuzzer is compiled once).
# Installs cargo-fuzz if missing. Times go to build/fuzz/times.txt.
set -euo pipefail

SECONDS_EACH=${1:?usage: tools/fuzz.sh SECONDS [FILTER]}
FILTER=${2:-}
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly-2026-07-21}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/fuzz"
TARGET_DIR="$OUT/target"
mkdir -p "$OUT"
: > "$OUT/times.txt"
cd "$ROOT"

if ! cargo +"$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    nice cargo install cargo-fuzz --locked
fi

start=$(date +%s)
failed=()
ran=0
mapfile -t crates < <(find . -path ./third_party -prune -o -path '*/target' -prune \
    -o -path '*/fuzz/Cargo.toml' -print | sort)
for manifest in "${crates[@]}"; do
    dir=$(dirname "$manifest")
    dir=${dir#./}
    # A crate that asks for the board's build (no overflow checks) gets -O.
    build_flags=(--target-dir "$TARGET_DIR")
    if grep -q '^board-build = true' "$manifest"; then
        build_flags+=(-O)
    fi
    mapfile -t targets < <(cd "$dir" && cargo +"$TOOLCHAIN" fuzz list)
    wanted=()
    for t in "${targets[@]}"; do
        [[ -z "$FILTER" || "$dir:$t" == *"$FILTER"* ]] && wanted+=("$t")
    done
    [[ ${#wanted[@]} -eq 0 ]] && continue
    t0=$(date +%s)
    echo "== fuzz: building $dir (${wanted[*]})"
    (cd "$dir" && nice cargo +"$TOOLCHAIN" fuzz build "${build_flags[@]}" 2>&1 | tail -n 3)
    echo "$dir build $(( $(date +%s) - t0 )) s" >> "$OUT/times.txt"
    for t in "${wanted[@]}"; do
        corpus="$ROOT/$dir/corpus/$t"
        if [[ -n "${FUZZ_FRESH:-}" ]]; then
            corpus="$OUT/fresh/${dir//\//_}/$t"
            rm -rf "$corpus"
        fi
        artifacts="$dir/artifacts/$t"
        mkdir -p "$corpus" "$artifacts"
        inputs=("$corpus")
        [[ -d "$dir/seeds/$t" ]] && inputs+=("seeds/$t")
        dict=()
        [[ -f "$dir/$t.dict" ]] && dict=("-dict=$t.dict")
        log="$OUT/${dir//\//_}_$t.log"
        echo "== fuzz: $dir $t for ${SECONDS_EACH} s (log $log)"
        before=$(find "$artifacts" -type f | wc -l)
        t0=$(date +%s)
        rc=0
        (cd "$dir" && nice cargo +"$TOOLCHAIN" fuzz run "${build_flags[@]}" "$t" \
            "${inputs[@]}" -- -max_total_time="$SECONDS_EACH" -timeout=20 \
            -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}") > "$log" 2>&1 || rc=$?
        echo "$dir $t run $(( $(date +%s) - t0 )) s" >> "$OUT/times.txt"
        ran=$((ran + 1))
        after=$(find "$artifacts" -type f | wc -l)
        if [[ $rc -ne 0 || $after -gt $before ]]; then
            newest=$(ls -t "$artifacts" 2>/dev/null | head -n 1)
            echo "!! fuzz: $dir $t FAILED (exit $rc); reproducer: $artifacts/$newest"
            echo "   replay: (cd $dir && cargo +$TOOLCHAIN fuzz run ${build_flags[*]} $t artifacts/$t/$newest)"
            grep -m 3 -E "panicked|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/   /' || true
            failed+=("$dir:$t")
        else
            grep -m 1 -E "^stat::number_of_executed_units" "$log" | sed "s/^/   $t: /" || true
        fi
    done
done
total=$(( $(date +%s) - start ))
echo "fuzz total $total s" >> "$OUT/times.txt"
if [[ $ran -eq 0 ]]; then
    echo "fuzz: no target matched '$FILTER'"
    exit 1
fi
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: ${#failed[@]} of $ran targets failed: ${failed[*]} ($total s)"
    exit 1
fi
echo "fuzz: $ran targets ran ${SECONDS_EACH} s each without a crash ($total s in all)"
