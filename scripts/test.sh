#!/usr/bin/env bash
# Set up and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# on every CPU (pytest-xdist), a test file per worker: module fixtures (servers, browsers) start once;
# the bundled corpus is embedded once per run and shared by the workers (tests/conftest.py)
# Files in this order: one worker starts on the corpus (embedded once, ~2 min) while the other runs what
# needs no corpus; paths given on the command line replace the order
order=(tests/test_agent_stories.py tests/unit tests/test_static_checks.py tests/test_eval_harness.py
       tests/test_lifecycle.py tests/test_persistence.py tests/test_labelled_decisions.py tests/test_damaged_files.py
       tests/test_graph_store_contract.py tests/test_ingest_errors.py tests/test_ingest_generic.py
       tests/test_signal_mappings.py tests/test_api_edges.py tests)
for a in "$@"; do case "$a" in tests*) order=();; esac; done
exec .venv/bin/python -m pytest -q -n auto --dist loadfile "${order[@]}" "$@"
