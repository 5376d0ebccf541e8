#!/usr/bin/env bash
# The whole test suite (unit, web, API, CLI, end-to-end in headless Chromium, accessibility).
# Database: SQLite by default, PostgreSQL when DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
scripts/ensure-chromium.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "Erreur : aucun test n'a été collecté." >&2
    exit 1
fi
exit "$rc"
