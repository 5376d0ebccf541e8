#!/usr/bin/env bash
# The whole test suite: code checks (ruff lint and format, import-linter layer contracts),
# then pytest (unit, web, API, CLI, end-to-end in headless Chromium, accessibility).
# Database: SQLite by default, PostgreSQL when DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
scripts/ensure-chromium.sh
echo "Vérifications du code : ruff (lint, format), import-linter (couches)"
.venv/bin/ruff check --quiet src tests bench scripts
.venv/bin/ruff format --check --quiet src tests bench scripts
.venv/bin/lint-imports --no-cache >/dev/null || { .venv/bin/lint-imports --no-cache; exit 1; }
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "Erreur : aucun test n'a été collecté." >&2
    exit 1
fi
exit "$rc"
