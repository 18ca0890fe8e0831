#!/usr/bin/env bash
# Runs the benchmarks with Python feedparser available for comparison. feedparser is installed
# into a virtual environment under target/, never into the system.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet feedparser
fi
BENCH_PYTHON="$PWD/$venv/bin/python" cargo bench --bench ingest
