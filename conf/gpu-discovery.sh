#!/usr/bin/env bash
# Spark GPU discovery script (spark.{driver,executor}.resource.gpu.discoveryScript): prints the GPUs
# nvidia-smi sees as {"name": "gpu", "addresses": ["0", "1", ...]}; no GPU (or no nvidia-smi) gives an
# empty list, and the job runs on the CPU.
set -euo pipefail
addresses=""
if command -v nvidia-smi >/dev/null 2>&1; then
  addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | awk 'NF {printf "%s\"%s\"", sep, $1; sep=","}')
fi
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
