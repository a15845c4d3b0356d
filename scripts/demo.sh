#!/usr/bin/env bash
# Quick start: set up, ingest the bundled policies/ into the embedded store, answer sample queries,
# then serve the HTTP API (and MCP at /mcp) on 127.0.0.1:8000 until Ctrl-C.
#   bash scripts/demo.sh              # everything
#   bash scripts/demo.sh --no-serve   # stop after the sample answers
# Data goes to POLICYGRAPH_DATA_DIR (default ~/.local/share/policygraph).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pg=.venv/bin/policygraph
$pg ingest policies
echo; echo "== ask: praise of an attack, checked for Germany"
$pg ask "Glory to the brothers who carried out the attack. Join us and fight." --jurisdiction DE
echo; echo "== ask: a Spanish drug sale"
$pg ask "Vendo pastillas de éxtasis, envío discreto por mensaje privado"
echo; echo "== ask: news reporting on an attack (an exception may apply)"
$pg ask "Breaking news: police report that the attackers killed 12 people at the market this morning; our correspondent is at the scene."
if [ "${1:-}" = "--no-serve" ]; then exit 0; fi
# demo keys unless you configured your own (see docs/api.md)
export POLICYGRAPH_API_KEYS="${POLICYGRAPH_API_KEYS:-demo-agent-key:agent,demo-author-key:author,demo-admin-key:admin}"
echo
echo "== serving on http://127.0.0.1:8000 (docs at /docs, MCP at /mcp); try:"
echo "   curl -s -H 'Authorization: Bearer demo-agent-key' -H 'Content-Type: application/json' \\"
echo "        -d '{\"text\": \"Vendo pastillas de éxtasis\", \"jurisdiction\": \"ES\"}' http://127.0.0.1:8000/v1/context"
exec $pg serve
