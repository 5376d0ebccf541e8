#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: a virtual environment in .venv with the locked
# dependencies (requirements.lock, hashes checked) and Terrinum installed in editable mode.
# Re-running it does nothing unless the lock file or pyproject.toml changed.
#
# The lock is installed as it is, without resolving anything (--no-deps): it is a complete
# universal lock, so pip never asks the index for a release that is not pinned in it — the
# pip bundled with Python 3.11 resolved an extra (fonttools[woff], asked by weasyprint)
# against the index's newest release and then refused it in --require-hashes mode.
# `pip check` then proves that the installed set satisfies every requirement, extras
# included (tests/test_lock.py checks the lock file itself).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "Terrinum demande Python 3.11 ou plus récent (commande essayée : $PYTHON)." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Création de l'environnement virtuel .venv"
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.terrinum-$(cat requirements.lock pyproject.toml | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
if [ ! -f "$stamp" ]; then
    echo "Installation des dépendances verrouillées (requirements.lock)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
    .venv/bin/python -m pip check --disable-pip-version-check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    rm -f .venv/.terrinum-*
    touch "$stamp"
fi
