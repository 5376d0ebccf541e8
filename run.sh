#!/usr/bin/env bash
# Main job: install, load the real territorial reference and the (labelled) demonstration
# values, serve http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/terrinum init
.venv/bin/terrinum demo
exec .venv/bin/terrinum serve "$@"
