#!/usr/bin/env bash
# Runs the Spark benchmark (org.sparkgrad.jobs.bench.SparkBenchmark) on an embedded local Spark and prints
# its table: all-reduce overhead per step (100k, 1M and 10M parameters; per-step jobs and barrier stages side
# by side, next to a plain broadcast + treeAggregate loop of float[N]), MLP throughput with local[1] and
# local[2] (both step modes), the same MLP's full-batch iteration against Spark MLlib's
# MultilayerPerceptronClassifier (solver gd) with the engine's own share, and then the all-reduce and
# throughput rows again on a standalone Master + Worker started on 127.0.0.1 from the build's Spark jars
# (printed beside their local[2] rows; --cluster none skips it).
#
#   bench/run-spark-bench.sh [--rebuild | --no-build] [SparkBenchmark arguments...]
#
# SparkBenchmark arguments: --rows N --steps N --small-steps N --mid-steps N --large-steps N --mllib-iters N
# --parts throughput,allreduce,mllib (default all)
# --partitions N --cluster standalone|none (--help: all, with defaults).
# Environment: JAVA (default java), JAVA_OPTS (extra JVM options; default -Xmx4g).
# The engine's own threads are pinned to 1 (sparkgrad.threads, OPENBLAS_NUM_THREADS) so that Spark's
# executor cores (local[1] vs local[2]) are the only parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAVA=${JAVA:-java}
JAR=$ROOT/jobs/target/sparkgrad-jobs.jar
CP_FILE=$ROOT/jobs/target/spark-classpath.txt

build=auto
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rebuild) build=always; shift ;;
        --no-build) build=never; shift ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$1"); shift ;;
    esac
done

if [[ $build == always || ( $build == auto && ( ! -f $JAR || ! -f $CP_FILE ) ) ]]; then
    (cd "$ROOT" && mvn -B -o -q -DskipTests package -pl jobs -am)
fi
[[ -f $JAR && -f $CP_FILE ]] || { echo "missing $JAR or $CP_FILE: build with mvn -B -o -DskipTests package -pl jobs -am" >&2; exit 1; }

# The driver's JVM options (the --add-opens Spark needs on Java 17) from conf/spark-defaults.conf.
read -r -a spark_opts < <(sed -n 's/^spark\.driver\.extraJavaOptions[[:space:]]\{1,\}//p' "$ROOT/conf/spark-defaults.conf")
log_opts=()
[[ -f $ROOT/conf/log4j2.properties ]] && log_opts=("-Dlog4j2.configurationFile=file:$ROOT/conf/log4j2.properties")
read -r -a extra <<< "${JAVA_OPTS:--Xmx4g}"

export OPENBLAS_NUM_THREADS=1
exec "$JAVA" "${spark_opts[@]}" "${log_opts[@]}" "${extra[@]}" -Dsparkgrad.threads=1 \
    -cp "$JAR:$(cat "$CP_FILE")" org.sparkgrad.jobs.bench.SparkBenchmark \
    --spark-classpath "$CP_FILE" --job-jar "$JAR" --spark-defaults "$ROOT/conf/spark-defaults.conf" ${args[@]+"${args[@]}"}
