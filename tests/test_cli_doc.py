"""docs/cli.md is the reference of the `terrinum` command generated from the Typer app: it
must be current (regenerate it with scripts/cli-doc.sh)."""

import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_is_current(tmp_path):
    out = tmp_path / "cli.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "terrinum.cli",
            "utils",
            "docs",
            "--name",
            "terrinum",
            "--title",
            "Référence de la commande terrinum",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8"), "docs/cli.md n'est plus à jour : lancez scripts/cli-doc.sh"
