#!/usr/bin/env bash
# Main job: install, load the real territorial reference, serve http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/terrinum init
exec .venv/bin/terrinum serve "$@"
