# Shared by bench/run-engine-bench.sh and bench/run-gpu-bench.sh (sourced, not run): the system BLAS check,
# building the jobs jar, the benchmark JVM's command line and parsing key=value lines.
# Needs ROOT (the repository root) set by the caller.

BENCH_MAIN=org.sparkgrad.jobs.bench.EngineBenchmark
BENCH_JAR=$ROOT/jobs/target/sparkgrad-jobs.jar

# --- The system BLAS ---------------------------------------------------------------------------------
# Both the engine (through netlib's NativeBLAS) and Debian's torch (through its generic BLAS build) use the
# system libblas.so.3. The reference BLAS is some 50x slower than OpenBLAS, which makes every CPU
# matrix-product number meaningless.
BENCH_BLAS_HINT="Install OpenBLAS and make it the system BLAS:
    apt-get install -y libopenblas0-pthread
    (it registers itself as the libblas.so.3 alternative; check with
     update-alternatives --display libblas.so.3-$(uname -m)-linux-gnu)"

# Sets system_blas to the optimized BLAS behind libblas.so.3; otherwise sets blas_problem to why not and
# returns 1. ALTERNATIVES_DIR is overridable only to test this check.
bench_check_system_blas() {
    local dir=${ALTERNATIVES_DIR:-/etc/alternatives} link target links
    system_blas=""
    blas_problem=""
    shopt -s nullglob
    links=("$dir"/libblas.so.3*)
    shopt -u nullglob
    if [[ ${#links[@]} -eq 0 ]]; then
        blas_problem="no $dir/libblas.so.3* found: there is no system BLAS to compare on."
        return 1
    fi
    for link in "${links[@]}"; do
        target=$(readlink -f "$link" || readlink -m "$link")
        case "${target,,}" in
            *openblas*|*mkl*|*blis*|*atlas*) system_blas+="${system_blas:+ }$target" ;;
            *)
                blas_problem="$link points to $target, which is the reference BLAS (not optimized)."
                return 1 ;;
        esac
    done
}

# --- Build -------------------------------------------------------------------------------------------------
# bench_classpath auto|always|never: builds the shaded jobs jar when needed (auto: missing, or older than
# a source or pom of a module it bundles) and sets CP to it, or to the module class path when there is no
# usable jar.
bench_classpath() {
    local build=$1
    if [[ $build == auto && -f $BENCH_JAR ]] && ! command -v mvn >/dev/null; then
        echo "note: no mvn here (a copied checkout?): using $BENCH_JAR as it is" >&2
    elif _bench_needs_build "$build"; then
        echo "building: mvn -B -q -o -DskipTests package -pl jobs -am" >&2
        (cd "$ROOT" && mvn -B -q -o -DskipTests package -pl jobs -am >&2)
    fi
    if [[ -f $BENCH_JAR ]] && _bench_jar_has "${BENCH_MAIN//.//}.class"; then
        CP=$BENCH_JAR
    else
        echo "note: $BENCH_JAR missing (or without $BENCH_MAIN); using the module classpath instead" >&2
        local cpfile
        cpfile=$(mktemp)
        # In the same reactor run as compile, so that the sibling modules resolve to their fresh classes.
        (cd "$ROOT" && mvn -B -q -o -DskipTests compile dependency:build-classpath -pl jobs -am \
            -Dmdep.outputFile="$cpfile" >&2)
        CP=$ROOT/jobs/target/classes:$(cat "$cpfile")
        rm -f "$cpfile"
    fi
}

_bench_needs_build() {
    [[ $1 == always ]] && return 0
    [[ $1 == never ]] && return 1
    [[ -f $BENCH_JAR ]] || return 0
    # Anything in the bundled modules' sources (or a pom) newer than the jar.
    [[ -n $(find "$ROOT/pom.xml" "$ROOT/engine" "$ROOT/gpu-worker" "$ROOT/spark-trainer" "$ROOT/jobs" \
        \( -path '*/target' -prune \) -o \
        \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -type f -newer "$BENCH_JAR" -print -quit \
        2>/dev/null) ]]
}

_bench_jar_has() {
    { unzip -l "$BENCH_JAR" 2>/dev/null || jar tf "$BENCH_JAR" 2>/dev/null; } | grep -q "$1"
}

# --- Run -------------------------------------------------------------------------------------------------
# bench_jvm THREADS: pins the BLAS and OpenMP threads (exported) and sets the JVM array, the benchmark's
# command line without its arguments. -XX:ActiveProcessorCount sets what availableProcessors() returns,
# which sizes the common fork-join pool; -Dsparkgrad.threads bounds the engine's parallel elementwise loops.
# G1 is named so that 1 thread does not silently switch the JVM to SerialGC.
# The heap is fixed and touched at start (BENCH_HEAP, default 3g; -XX:+AlwaysPreTouch): on these VMs the
# first write to a page of fresh memory costs the kernel about 2.5 us (400 MB/s, measured with
# `time java -Xms4g -Xmx4g -XX:+AlwaysPreTouch -version`: 10 s of sys time), so while G1 grows the heap every
# fresh 16 MB output costs ~40 ms, and the timed steps of whichever cases ran then were 20-60x slower. That is
# a one-time cost per JVM (an executor pays it once while its heap grows), not the speed of the kernels.
bench_jvm() {
    local threads=$1
    export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
    local -a extra jit
    read -r -a extra <<<"${JAVA_OPTS:-}"
    # the JIT settings of every sparkgrad JVM (the -XX:CompileCommand entries), from their one home
    read -r -a jit <<<"$(grep '^spark\.driver\.extraJavaOptions' "$ROOT/conf/spark-defaults.conf" \
        | grep -o -- '-XX:CompileCommand=[^[:space:]]*' | tr '\n' ' ')"
    JVM=("${JAVA:-java}" --add-modules=jdk.incubator.vector -XX:ActiveProcessorCount="$threads"
         -Dsparkgrad.threads="$threads" -XX:+UseG1GC -Xms"${BENCH_HEAP:-3g}" -Xmx"${BENCH_HEAP:-3g}" -XX:+AlwaysPreTouch
         ${jit[@]+"${jit[@]}"} ${extra[@]+"${extra[@]}"} -cp "$CP" "$BENCH_MAIN")
}

# kv LINE KEY -> the value of KEY=value in LINE, or - when absent.
kv() {
    local line=" $1 "
    local rest=${line#* $2=}
    [[ $rest == "$line" ]] && { echo "-"; return; }
    echo "${rest%% *}"
}
