#!/usr/bin/env bash
# Runs the benchmarks: `benches/run.sh` for all, or `benches/run.sh ingest` / `daemon`.
# Tools the benchmarks compare with or drive are installed here, not needed by the tests:
# Python feedparser (into a virtual environment under target/), and wrk (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet feedparser
fi
if ! command -v wrk >/dev/null; then
    sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    sudo_if_needed apt-get install -y -qq wrk
fi
export BENCH_PYTHON="$PWD/$venv/bin/python"
if [ "$#" -eq 0 ]; then
    cargo bench --bench ingest
    cargo bench --bench daemon
else
    for bench in "$@"; do cargo bench --bench "$bench"; done
fi
