#!/usr/bin/env bash
# Runs the per-op benchmark (org.sparkgrad.jobs.bench.OpBenchmark) and its PyTorch twin
# (bench/torch_op_bench.py) in the same run, at each thread count, and prints per thread count a table
# (case, java ms, torch ms, java/torch, worst ratio first), the geometric mean and the worst case. A case whose
# two checksums differ by more than --rtol of their magnitude is marked MISMATCH (exit status 4).
#
#   bench/run-op-bench.sh [--threads 1,2] [--csv PATH] [--match REGEX] [--sizes 65536,4194304]
#                         [--batches 256,65536] [--warmup-ms MS] [--settle-max-ms MS] [--time-ms MS] [--rtol 1e-3]
#                         [--rebuild | --no-build]
#
# --csv (default op-bench-<UTC time>.csv here) gets one row per thread count and case.
# Environment: PYTHON (default /usr/bin/python3, which must import torch), JAVA (default java),
# JAVA_OPTS (extra JVM options), BENCH_HEAP (the fixed, pre-touched heap, default 3g; e.g. BENCH_HEAP=8g).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BENCH_MAIN=org.sparkgrad.jobs.bench.OpBenchmark
PYTHON=${PYTHON:-/usr/bin/python3}

threads_list=1,2
csv=op-bench-$(date -u +%Y%m%d-%H%M%S).csv
rtol=1e-3
build=auto
args=()

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads_list=${2:?--threads needs a value}; shift 2 ;;
        --csv) csv=${2:?--csv needs a value}; shift 2 ;;
        --rtol) rtol=${2:?--rtol needs a value}; shift 2 ;;
        --match|--sizes|--batches|--warmup-ms|--settle-max-ms|--time-ms) args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
        --rebuild) build=always; shift ;;
        --no-build) build=never; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
IFS=',' read -r -a threads <<<"$threads_list"
for t in "${threads[@]}"; do
    if ! [[ $t =~ ^[1-9][0-9]*$ ]]; then
        echo "--threads must be positive integers separated by commas, got '$threads_list'" >&2
        exit 2
    fi
done

if ! bench_check_system_blas; then
    echo "error: $blas_problem" >&2
    echo "Refusing to compare: both the engine and torch would run their matrix products on it." >&2
    echo "$BENCH_BLAS_HINT" >&2
    exit 3
fi

bench_classpath "$build"
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# run_side NAME OUTFILE CMD...: the case lines of one side; its stderr is shown only when it fails.
run_side() {
    local side=$1 outfile=$2; shift 2
    if ! "$@" >"$outfile" 2>"$logdir/$side.err"; then
        echo "error: the $side benchmark failed: $*" >&2
        cat "$logdir/$side.err" >&2
        return 1
    fi
}

echo "threads,case,java_ms,torch_ms,java_over_torch,java_check,torch_check,java_mag,torch_mag,match" >"$csv"
mismatches=0
for t in "${threads[@]}"; do
    echo "threads=$t system_blas=$system_blas: java ..." >&2
    bench_jvm "$t"
    run_side java "$logdir/java-$t" "${JVM[@]}" ${args[@]+"${args[@]}"}
    echo "threads=$t: torch ..." >&2
    run_side torch "$logdir/torch-$t" "$PYTHON" "$ROOT/bench/torch_op_bench.py" --threads "$t" ${args[@]+"${args[@]}"}
    # Join the two sides by case name (java's order): threads,case,ms,ms,ratio,checks,mags,match.
    awk -v t="$t" -v rtol="$rtol" '
        function val(line, key,   r) {
            r = " " line " "
            if (index(r, " " key "=") == 0) return "-"
            r = substr(r, index(r, " " key "=") + length(key) + 2)
            return substr(r, 1, index(r, " ") - 1)
        }
        function abs(x) { return x < 0 ? -x : x }
        FNR == 1 { side++ }
        !/^case=/ { next }
        side == 1 { name = val($0, "case"); order[++n] = name; java[name] = $0; next }
        { torch[val($0, "case")] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                c = order[i]; j = java[c]; p = torch[c]
                if (p == "") { printf "%s,%s,%s,-,-,%s,-,%s,-,MISSING\n", t, c, val(j, "ms"), val(j, "check"), val(j, "mag"); continue }
                jm = val(j, "ms"); tm = val(p, "ms")
                jc = val(j, "check"); tc = val(p, "check"); ja = val(j, "mag"); ta = val(p, "mag")
                mag = ja + 0 > ta + 0 ? ja + 0 : ta + 0
                ok = abs(jc - tc) <= rtol * mag + 1e-30 && abs(ja - ta) <= rtol * mag + 1e-30 ? "ok" : "MISMATCH"
                printf "%s,%s,%s,%s,%.4f,%s,%s,%s,%s,%s\n", t, c, jm, tm, (tm > 0 ? jm / tm : 0), jc, tc, ja, ta, ok
            }
        }' "$logdir/java-$t" "$logdir/torch-$t" >"$logdir/rows-$t"
    cat "$logdir/rows-$t" >>"$csv"
    mismatches=$((mismatches + $(grep -c -v ',ok$' "$logdir/rows-$t" || true)))
done

echo
echo "java:  $(grep -h '^info ' "$logdir"/java-* | head -1)"
echo "torch: $(grep -h '^info ' "$logdir"/torch-* | head -1)"
for t in "${threads[@]}"; do
    echo
    echo "== threads=$t (worst java/torch first) =="
    printf '%-32s %10s %10s %11s %s\n' case java_ms torch_ms java/torch check
    sort -t, -k5,5gr "$logdir/rows-$t" | awk -F, '{ printf "%-32s %10s %10s %11s %s\n", $2, $3, $4, $5, $10 }'
    awk -F, '$5 > 0 { s += log($5); n++; if ($5 > w) { w = $5; wc = $2 } }
        END { if (n) printf "threads=%s cases=%d geomean java/torch=%.3f worst=%.3f (%s)\n", '"$t"', n, exp(s / n), w, wc }' \
        "$logdir/rows-$t"
done
echo
echo "csv: $csv"
if [[ $mismatches -gt 0 ]]; then
    echo "WARNING: $mismatches case(s) where java and torch did not compute the same (rtol $rtol): see MISMATCH/MISSING above" >&2
    exit 4
fi
