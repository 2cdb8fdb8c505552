#!/usr/bin/env bash
# Open the quickstart in JupyterLab, on the built-in emulator (no credentials, no internet).
#   bash scripts/demo.sh            # http://127.0.0.1:8888/...; PORT=9000 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON="${PYTHON:-$(command -v python || command -v python3)}"

PORT="${PORT:-8888}"
TOKEN="${TOKEN:-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')}"
export OT_API_URL=demo

args=(--ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.port_retries=0
      --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$PWD")
[ "$(id -u)" = 0 ] && args+=(--allow-root)
[ -n "${DISPLAY:-}" ] || args+=(--ServerApp.open_browser=False)

echo
echo "demo: open http://127.0.0.1:$PORT/lab/tree/examples/quickstart.ipynb?token=$TOKEN"
echo "demo: (Ctrl-C twice to stop)"
echo
exec "$PYTHON" -m jupyter lab "${args[@]}" examples/quickstart.ipynb
