#!/usr/bin/env bash
# Runs the engine benchmark (org.sparkgrad.jobs.bench.EngineBenchmark) and its PyTorch twin
# (bench/torch_engine_bench.py) in the same run, case by case, with the same thread count, and prints
# a table: case, java ms, torch ms, java/torch, GFLOP/s (or microseconds per op).
#
#   bench/run-engine-bench.sh [--threads N] [--case NAME[,NAME...]] [--warmup N] [--iters N]
#                             [--rebuild | --no-build]
#
# Environment: PYTHON (default /usr/bin/python3, which must import torch), JAVA (default java),
# JAVA_OPTS (extra JVM options, e.g. -Xmx8g).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
JAVA=${JAVA:-java}
MAIN=org.sparkgrad.jobs.bench.EngineBenchmark
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
# Both sides use the system libblas.so.3 (the engine through netlib's NativeBLAS, Debian's torch through
# its generic BLAS build). The reference BLAS is some 50x slower than OpenBLAS, which would make every
# matrix-product number meaningless.
install_hint="Install OpenBLAS and make it the system BLAS:
    apt-get install -y libopenblas0-pthread
    (it registers itself as the libblas.so.3 alternative; check with
     update-alternatives --display libblas.so.3-$(uname -m)-linux-gnu)"
ALTERNATIVES_DIR=${ALTERNATIVES_DIR:-/etc/alternatives}  # overridable only to test this check
shopt -s nullglob
blas_links=("$ALTERNATIVES_DIR"/libblas.so.3*)
shopt -u nullglob
if [[ ${#blas_links[@]} -eq 0 ]]; then
    echo "error: no $ALTERNATIVES_DIR/libblas.so.3* found: there is no system BLAS to compare on." >&2
    echo "$install_hint" >&2
    exit 3
fi
system_blas=""
for link in "${blas_links[@]}"; do
    target=$(readlink -f "$link" || readlink -m "$link")
    case "${target,,}" in
        *openblas*|*mkl*|*blis*|*atlas*) system_blas+="${system_blas:+ }$target" ;;
        *)
            echo "error: $link points to $target, which is the reference BLAS (not optimized)." >&2
            echo "Refusing to compare: both the engine and torch would run their matrix products on it." >&2
            echo "$install_hint" >&2
            exit 3 ;;
    esac
done

# --- Build if needed -----------------------------------------------------------------------------------
JAR=$ROOT/jobs/target/sparkgrad-jobs.jar
needs_build() {
    [[ $build == always ]] && return 0
    [[ $build == never ]] && return 1
    [[ -f $JAR ]] || return 0
    # Anything in the engine or jobs sources (or a pom) newer than the jar.
    [[ -n $(find "$ROOT/pom.xml" "$ROOT/engine" "$ROOT/jobs" \( -path '*/target' -prune \) -o \
        \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -type f -newer "$JAR" -print -quit) ]]
}
if needs_build; then
    echo "building: mvn -B -q -o -DskipTests package -pl jobs -am" >&2
    (cd "$ROOT" && mvn -B -q -o -DskipTests package -pl jobs -am >&2)
fi
jar_has_main() {
    { unzip -l "$JAR" 2>/dev/null || jar tf "$JAR" 2>/dev/null; } | grep -q "${MAIN//.//}.class"
}
if [[ -f $JAR ]] && jar_has_main; then
    CP=$JAR
else
    echo "note: $JAR missing (or without $MAIN); using the module classpath instead" >&2
    cpfile=$(mktemp)
    # In the same reactor run as compile, so that the engine module resolves to its freshly built classes.
    (cd "$ROOT" && mvn -B -q -o -DskipTests compile dependency:build-classpath -pl jobs -am \
        -Dmdep.outputFile="$cpfile" >&2)
    CP=$ROOT/jobs/target/classes:$(cat "$cpfile")
    rm -f "$cpfile"
fi

# --- Run -------------------------------------------------------------------------------------------------
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
# -XX:ActiveProcessorCount sets what availableProcessors() returns, which sizes the common fork-join
# pool; -Dsparkgrad.threads bounds the engine's parallel elementwise loops. G1 is named so that 1 thread
# does not silently switch the JVM to SerialGC.
JVM=("$JAVA" --add-modules=jdk.incubator.vector -XX:ActiveProcessorCount="$threads" -Dsparkgrad.threads="$threads"
     -XX:+UseG1GC ${JAVA_OPTS:-}
     -cp "$CP" "$MAIN")
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

kv() { # kv LINE KEY -> value of KEY=value in LINE
    local line=" $1 "
    local rest=${line#* $2=}
    [[ $rest == "$line" ]] && { echo "-"; return; }
    echo "${rest%% *}"
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
