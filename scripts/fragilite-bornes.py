"""Recompute the fixed scales (ANCHORS) of the digital-fragility index from the real INSEE
files: population-weighted percentiles 5, 15, …, 95 of the commune values.

    .venv/bin/python scripts/fragilite-bornes.py ../shared/data/real/insee

Prints the ANCHORS literal to paste into src/terrinum/pillars/fragilite/indicators.py (the
test tests/pillars/test_fragilite.py::test_anchors_match_the_real_data checks they do).
"""

import sys
import tempfile
from pathlib import Path

from terrinum.cli.common import django_setup
from terrinum.config import data_dir

django_setup()

from terrinum.pillars.fragilite import indicators as fr  # noqa: E402 (after Django's set-up)
from terrinum.pillars.ingest import ingest  # noqa: E402
from terrinum.territories import loader  # noqa: E402
from terrinum.warehouse import store  # noqa: E402

FILES = (
    ("indicateurs_communes_diplome_menages_age_emploi.csv", "2016"),
    ("taux_pauvrete_communes.csv", "2016"),
    ("populations_communes.csv", "2019"),
)


def main(folder: Path) -> None:
    build = loader.build_or_cached(data_dir() / "cache")
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "w.duckdb")
        store.publish_reference_build(con, build, "bornes")
        for name, millesime in FILES:
            ingest(con, "insee-indicateurs", folder / name, millesime=millesime)
        anchors = fr.anchors_from(con)
        con.close()
    print("ANCHORS = {")
    for criterion, values in anchors.items():
        print(f'    "{criterion}": {values},')
    print("}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real/insee"))
