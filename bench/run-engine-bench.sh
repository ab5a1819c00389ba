#!/usr/bin/env bash
# Runs the engine benchmark (org.sparkgrad.jobs.bench.EngineBenchmark) and its PyTorch twin
# (bench/torch_engine_bench.py) in the same run, case by case, with the same thread count, and prints
# a table: case, java ms, torch ms, java/torch, GFLOP/s (or microseconds per op).
#
#   bench/run-engine-bench.sh [--threads N] [--case NAME[,NAME...]] [--warmup N] [--iters N]
#                             [--rebuild | --no-build]
#
# Environment: PYTHON (default /usr/bin/python3, which must import torch), JAVA (default java),
# JAVA_OPTS (extra JVM options), BENCH_HEAP (the fixed, pre-touched heap, default 3g; e.g. BENCH_HEAP=8g).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
ALL_CASES="seed_mlp,large_mlp,sgemm,autograd_overhead,d2l_step,seed_mlp_nn"

threads=1
cases=$ALL_CASES
warmup=()
iters=()
build=auto

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads=${2:?--threads needs a value}; shift 2 ;;
        --case) cases=${2:?--case needs a value}; [[ $cases == all ]] && cases=$ALL_CASES; shift 2 ;;
        --warmup) warmup=(--warmup "${2:?--warmup needs a value}"); shift 2 ;;
        --iters) iters=(--iters "${2:?--iters needs a value}"); shift 2 ;;
        --rebuild) build=always; shift ;;
        --no-build) build=never; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if ! [[ $threads =~ ^[1-9][0-9]*$ ]]; then
    echo "--threads must be a positive integer, got '$threads'" >&2
    exit 2
fi

# --- Refuse to compare against the reference BLAS ---------------------------------------------------
if ! bench_check_system_blas; then
    echo "error: $blas_problem" >&2
    echo "Refusing to compare: both the engine and torch would run their matrix products on it." >&2
    echo "$BENCH_BLAS_HINT" >&2
    exit 3
fi

# --- Build if needed, then run -------------------------------------------------------------------------
bench_classpath "$build"
bench_jvm "$threads"
TORCH=("$PYTHON" "$ROOT/bench/torch_engine_bench.py")

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# Runs one side of one case; prints its stdout lines, shows stderr only when it fails.
run_side() {
    local side=$1; shift
    local err=$logdir/$side.err
    if ! "$@" 2>"$err"; then
        echo "error: the $side benchmark failed: $*" >&2
        cat "$err" >&2
        return 1
    fi
}

declare -A java_line torch_line
java_info=""
torch_info=""
echo "threads=$threads system_blas=$system_blas cases=$cases" >&2
IFS=',' read -r -a case_list <<<"$cases"
for c in "${case_list[@]}"; do
    echo "running $c (java, then torch) ..." >&2
    out=$(run_side java "${JVM[@]}" --threads "$threads" --case "$c" "${warmup[@]}" "${iters[@]}")
    echo "$out"
    java_info=$(grep '^info ' <<<"$out" || true)
    java_line[$c]=$(grep "^case=$c " <<<"$out" || true)
    out=$(run_side torch "${TORCH[@]}" --threads "$threads" --case "$c" "${warmup[@]}" "${iters[@]}")
    echo "$out"
    torch_info=$(grep '^info ' <<<"$out" || true)
    torch_line[$c]=$(grep "^case=$c " <<<"$out" || true)
done

echo
echo "java:  $(kv "$java_info" blas)  (threads $(kv "$java_info" threads), OpenBLAS threads $(kv "$java_info" openblas_threads))"
echo "torch: $(kv "$torch_info" torch), BLAS $(kv "$torch_info" blas)  (threads $(kv "$torch_info" threads))"
case "$(kv "$java_info" blas)" in
    java*) echo "WARNING: the engine ran its matrix products on the Java BLAS, not on $system_blas" ;;
esac
echo
printf '%-18s %7s %12s %12s %11s %11s %11s %s\n' case threads java_ms torch_ms java/torch java_gflops torch_gflops extra
for c in "${case_list[@]}"; do
    j=${java_line[$c]:-}
    t=${torch_line[$c]:-}
    jm=$(kv "$j" ms_per_step)
    tm=$(kv "$t" ms_per_step)
    ratio=$(awk -v a="$jm" -v b="$tm" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }')
    extra=""
    if [[ $(kv "$j" data_ms) != - ]]; then
        extra="data/fwd/bwd/sgd ms java=$(kv "$j" data_ms)/$(kv "$j" fwd_ms)/$(kv "$j" bwd_ms)/$(kv "$j" sgd_ms)"
        extra+=" torch=$(kv "$t" data_ms)/$(kv "$t" fwd_ms)/$(kv "$t" bwd_ms)/$(kv "$t" sgd_ms)"
    elif [[ $(kv "$j" fwd_ms) != - ]]; then
        extra="fwd/bwd/sgd ms java=$(kv "$j" fwd_ms)/$(kv "$j" bwd_ms)/$(kv "$j" sgd_ms)"
        extra+=" torch=$(kv "$t" fwd_ms)/$(kv "$t" bwd_ms)/$(kv "$t" sgd_ms)"
    fi
    if [[ $c == autograd_overhead ]]; then
        extra="us/op java=$(kv "$j" us_per_op) (fwd $(kv "$j" fwd_us_per_op) bwd $(kv "$j" bwd_us_per_op))"
        extra+=" torch=$(kv "$t" us_per_op) (fwd $(kv "$t" fwd_us_per_op) bwd $(kv "$t" bwd_us_per_op))"
    fi
    printf '%-18s %7s %12s %12s %11s %11s %11s %s\n' "$c" "$threads" "$jm" "$tm" "$ratio" \
        "$(kv "$j" gflops)" "$(kv "$t" gflops)" "$extra"
done
