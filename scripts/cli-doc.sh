#!/usr/bin/env bash
# Regenerate docs/cli.md, the reference of the `terrinum` command, from the Typer app itself
# (tests/test_cli_doc.py fails while it is out of date).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m typer terrinum.cli utils docs --name terrinum --title "Référence de la commande terrinum" --output docs/cli.md
