#!/usr/bin/env bash
# Smoke-runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 10)
# each, seeded from the committed corpus in fuzz/corpus/<target>.
#
# The committed corpus is only read: libFuzzer writes the inputs it finds to
# the first corpus directory it is given, which here is a fresh temporary
# directory, removed afterwards. Crash reproducers land in
# fuzz/artifacts/<target>/ (git-ignored) and their paths are printed.
#
# Needs a nightly toolchain (skips, successfully, without one) and installs
# cargo-fuzz when it is missing.
#
# Environment:
#   FUZZ_SECONDS        seconds per target (default 10)
#   FUZZ_BUILD_TIMEOUT  bound on installing cargo-fuzz and on building all
#                       targets, seconds each (default 1800)
#   FUZZ_TARGETS        space-separated subset of targets (default: all)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$root/fuzz"
seconds="${FUZZ_SECONDS:-10}"
build_timeout="${FUZZ_BUILD_TIMEOUT:-1800}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "skipping fuzz smoke: no nightly toolchain (rustup toolchain install nightly to enable it)"
    exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    if ! timeout --kill-after=30 "$build_timeout" cargo install cargo-fuzz --locked; then
        echo "fuzz: could not install cargo-fuzz" >&2
        exit 1
    fi
fi

cd "$fuzz_dir"
started=$(date +%s)

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz: no targets found in $fuzz_dir" >&2
    exit 1
fi

echo "fuzz: building ${#targets[@]} targets"
if ! timeout --kill-after=30 "$build_timeout" cargo +nightly fuzz build -O; then
    echo "fuzz: building the targets failed or took longer than ${build_timeout}s" >&2
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/wirestate-fuzz.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
failures=()
for target in "${targets[@]}"; do
    seeds="$fuzz_dir/corpus/$target"
    scratch="$tmp/corpus-$target"
    log="$tmp/$target.log"
    mkdir -p "$scratch" "$fuzz_dir/artifacts/$target"
    marker="$tmp/$target.start"
    touch "$marker"
    corpora=("$scratch")
    [[ -d "$seeds" ]] && corpora+=("$seeds")

    echo "fuzz: $target for ${seconds}s"
    status=0
    # The fuzzer stops itself after max_total_time; the outer timeout only
    # catches a hang of the fuzzer itself.
    timeout --kill-after=10 $((seconds + 120)) \
        cargo +nightly fuzz run -O "$target" "${corpora[@]}" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?

    if [[ $status -eq 0 ]]; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        echo "fuzz: $target ok (${runs:-?} runs)"
        passed=$((passed + 1))
        continue
    fi

    failed=$((failed + 1))
    failures+=("$target")
    if [[ $status -eq 124 || $status -eq 137 ]]; then
        echo "fuzz: $target FAILED: did not finish within $((seconds + 120))s" >&2
    else
        echo "fuzz: $target FAILED (exit $status)" >&2
    fi
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY:' "$log" | head -n 5 >&2 || true
    found=0
    while IFS= read -r artifact; do
        echo "fuzz: reproducer: $artifact" >&2
        found=1
    done < <(find "$fuzz_dir/artifacts/$target" -type f -newer "$marker" 2>/dev/null)
    if [[ $found -eq 0 ]]; then
        echo "fuzz: no reproducer written; last lines of the log:" >&2
        tail -n 20 "$log" >&2
    fi
    echo "fuzz: rerun with: (cd fuzz && cargo +nightly fuzz run -O $target <reproducer>)" >&2
done

echo "fuzz: finished in $(( $(date +%s) - started ))s"
if [[ $failed -gt 0 ]]; then
    echo "fuzz: failed targets: ${failures[*]}"
fi
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
