#!/usr/bin/env bash
# Main job: install, load the real territorial reference and the (labelled) demonstration
# values, serve http://127.0.0.1:8000. `./run.sh --preparer` stops before serving (CI).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/terrinum init
.venv/bin/terrinum demo
if [ "${1:-}" = "--preparer" ]; then
    exit 0
fi
exec .venv/bin/terrinum serve "$@"
