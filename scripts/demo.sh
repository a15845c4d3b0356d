#!/usr/bin/env bash
# Quick start: set up, ingest the bundled policies/ into the embedded store, answer sample queries.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/policygraph ingest policies
.venv/bin/policygraph ask "Glory to the brothers who carried out the attack. Join us." --jurisdiction DE
.venv/bin/policygraph ask "Vendo pastillas de éxtasis, envío discreto por DM"
