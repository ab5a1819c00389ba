#!/usr/bin/env bash
# Runs the engine benchmark (org.sparkgrad.jobs.bench.EngineBenchmark) on the CPU and on a CUDA device,
# and its PyTorch twin (bench/torch_engine_bench.py) on both when python3 imports torch, in the same run,
# and prints a table: ms per step for each, and java-cuda/java-cpu, java-cuda/torch-cuda, java-cpu/torch-cpu.
# Whatever cannot run (no CUDA for java or torch, no torch) is reported with its reason, the rest measured.
#
#   bench/run-gpu-bench.sh [--threads N] [--case NAME[,NAME...]] [--device cuda:N] [--warmup N] [--iters N]
#                          [--rebuild | --no-build]
#
# Defaults: --case seed_mlp,large_mlp (any of seed_mlp, large_mlp, sgemm, seed_mlp_nn), --device cuda:0,
# --threads all cores (nproc; the CPU side's threads). Exits 0 when everything ran or was reported
# unavailable, 1 when a run failed otherwise.
# Environment: PYTHON (default /usr/bin/python3), JAVA (default java), JAVA_OPTS (extra JVM options).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}

threads=$(nproc)
cases=seed_mlp,large_mlp
device=cuda:0
warmup=()
iters=()
build=auto

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads=${2:?--threads needs a value}; shift 2 ;;
        --case) cases=${2:?--case needs a value}; shift 2 ;;
        --device) device=${2:?--device needs a value}; shift 2 ;;
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
if ! [[ $device =~ ^cuda(:[0-9]+)?$ ]]; then
    echo "--device must be cuda or cuda:N, got '$device'" >&2
    exit 2
fi
[[ $device == cuda ]] && device=cuda:0
IFS=',' read -r -a case_list <<<"$cases"
for c in "${case_list[@]}"; do
    case "$c" in
        seed_mlp|large_mlp|sgemm|seed_mlp_nn) ;;
        *) echo "--case: '$c' does not run on a GPU; one of seed_mlp, large_mlp, sgemm, seed_mlp_nn" >&2; exit 2 ;;
    esac
done

# The GPU columns do not depend on the host BLAS, so a reference BLAS only makes the CPU columns slow.
if ! bench_check_system_blas; then
    echo "WARNING: $blas_problem The cpu columns below are not representative." >&2
    echo "$BENCH_BLAS_HINT" >&2
fi
bench_classpath "$build"
bench_jvm "$threads"
TORCH=("$PYTHON" "$ROOT/bench/torch_engine_bench.py")

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# One side (impl + device), all cases in one process. Sets out[$side] to its stdout and, when it could not
# measure, why[$side]: the reason from its `unavailable` line (exit 2), or the failure.
declare -A out why
failed=0
run_side() {
    local side=$1; shift
    local err=$logdir/$side.err rc=0
    echo "running $side: $*" >&2
    out[$side]=$("$@" 2>"$err") || rc=$?
    if [[ -n ${out[$side]} ]]; then echo "${out[$side]}"; fi
    local unavailable
    unavailable=$(grep '^unavailable ' <<<"${out[$side]}" || true)
    if [[ $rc -eq 2 && -n $unavailable ]]; then
        why[$side]="unavailable: ${unavailable#* reason=}"
    elif [[ $rc -ne 0 ]]; then
        why[$side]="failed (exit $rc): $(tail -n 1 "$err")"
        echo "error: the $side benchmark failed: $*" >&2
        cat "$err" >&2
        failed=1
    fi
}

bench_args=(--threads "$threads" --case "$cases" ${warmup[@]+"${warmup[@]}"} ${iters[@]+"${iters[@]}"})
run_side java-cpu "${JVM[@]}" "${bench_args[@]}" --device cpu
run_side java-cuda "${JVM[@]}" "${bench_args[@]}" --device "$device"
if "$PYTHON" -c 'import torch' 2>/dev/null; then
    run_side torch-cpu "${TORCH[@]}" "${bench_args[@]}" --device cpu
    run_side torch-cuda "${TORCH[@]}" "${bench_args[@]}" --device "$device"
else
    why[torch-cpu]="not run: $PYTHON cannot import torch"
    why[torch-cuda]=${why[torch-cpu]}
fi

sides=(java-cpu java-cuda torch-cpu torch-cuda)
line_of() { # line_of SIDE CASE -> that side's line for that case
    grep "^case=$2 " <<<"${out[$1]:-}" || true
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f", a / b }'
}

echo
echo "threads=$threads device=$device cases=$cases system_blas=${system_blas:-none}"
for s in "${sides[@]}"; do
    info=$(grep '^info ' <<<"${out[$s]:-}" || true)
    if [[ -n ${why[$s]:-} ]]; then
        printf '%-10s %s\n' "$s:" "${why[$s]}"
    elif [[ $s == java-* ]]; then
        printf '%-10s %s\n' "$s:" "java $(kv "$info" java), blas $(kv "$info" blas), threads $(kv "$info" threads)"
    else
        printf '%-10s %s\n' "$s:" "torch $(kv "$info" torch), blas $(kv "$info" blas_build), threads $(kv "$info" threads)$(
            [[ $(kv "$info" gpu) != - ]] && echo ", gpu $(kv "$info" gpu), cuda $(kv "$info" cuda), tf32 $(kv "$info" tf32_matmul)")"
    fi
done
echo
printf '%-12s %12s %12s %12s %12s %18s %20s %18s\n' case java_cpu_ms java_cuda_ms torch_cpu_ms torch_cuda_ms \
    java-cuda/java-cpu java-cuda/torch-cuda java-cpu/torch-cpu
for c in "${case_list[@]}"; do
    declare -A ms=()
    for s in "${sides[@]}"; do
        ms[$s]=$(kv "$(line_of "$s" "$c")" ms_per_step)
    done
    printf '%-12s %12s %12s %12s %12s %18s %20s %18s\n' "$c" "${ms[java-cpu]}" "${ms[java-cuda]}" "${ms[torch-cpu]}" \
        "${ms[torch-cuda]}" "$(ratio "${ms[java-cuda]}" "${ms[java-cpu]}")" \
        "$(ratio "${ms[java-cuda]}" "${ms[torch-cuda]}")" "$(ratio "${ms[java-cpu]}" "${ms[torch-cpu]}")"
done
echo "(- : not measured; ratios below 1 mean the first is faster)"
exit "$failed"
