"""Benchmark: the territory's diagnostic report.

    .venv/bin/python bench/diagnostic.py [--donnees var] [--communes 12] [--lot]

Needs an initialised data directory (./run.sh), only read. Measured in the same process,
after one warm-up report (peers and caches of the level computed once, as in a batch worker):
1. for `--communes` communes of the Ardennes: the plain territory page (the baseline: the
   view rendered without the kept-page cache), the report in HTML, in JSON and in PDF, mean
   seconds per commune and ratio to the plain page;
2. the peers of every commune of France, cold (k-d trees, exact re-ranking);
3. with `--lot`: `terrinum rapport --dans departement:08 --niveau commune --format pdf` on
   every core, into a temporary folder (wall time, reports per second), then the same again
   (every report unchanged: skipped).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    parser.add_argument("--communes", type=int, default=12)
    parser.add_argument("--lot", action="store_true", help="Mesurer aussi le lot des communes des Ardennes (quelques minutes).")
    args = parser.parse_args()
    os.environ["TERRINUM_DATA_DIR"] = str(args.donnees.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()
    from django.test import RequestFactory

    from terrinum.diagnostic import peers
    from terrinum.diagnostic.batch import render
    from terrinum.territories.models import Territory
    from terrinum.warehouse import store
    from terrinum.web import views

    communes = list(Territory.objects.filter(niveau="commune", departement_code="08").order_by("code"))
    sample = communes[:: max(1, len(communes) // args.communes)][: args.communes]
    page = views.territory.__wrapped__  # the view itself, not the page kept for visitors
    factory = RequestFactory()
    render(sample[0], "pdf", 3, 10)  # warm-up: peers, caches of the level, WeasyPrint's fonts

    def per_commune(label: str, work) -> float:
        start = time.perf_counter()
        for t in sample:
            work(t)
        return (time.perf_counter() - start) / len(sample)

    from django.contrib.auth.models import AnonymousUser

    def plain(t):
        request = factory.get(f"/territoires/commune/{t.code}/")
        request.user = AnonymousUser()
        return page(request, "commune", t.code)

    baseline = per_commune("page", plain)
    print(f"{len(sample)} communes des Ardennes, un processus ; page du territoire (référence) : {baseline:.3f} s")
    for fmt in ("html", "json", "pdf"):
        seconds = per_commune(fmt, lambda t, fmt=fmt: render(t, fmt, 3, 10))
        print(f"  rapport {fmt:<5} {seconds:6.3f} s par commune   {seconds / baseline:5.1f}× la page du territoire")

    start = time.perf_counter()
    with store.reader() as con:
        level = peers.compute(con, "commune")
    print(f"pairs de toutes les communes ({len(level.nearest):,} communes) : {time.perf_counter() - start:.2f} s".replace(",", "\u202f"))

    if args.lot:
        with tempfile.TemporaryDirectory(prefix="terrinum-lot-") as folder:
            command = [
                Path(sys.executable).parent / "terrinum",
                "rapport",
                "--dans",
                "departement:08",
                "--niveau",
                "commune",
                "--format",
                "pdf",
                "--out",
                folder,
            ]
            for label in ("lot des Ardennes", "relancé (rien n'a changé)"):
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                seconds = time.perf_counter() - start
                print(f"{label} : {len(communes)} communes, {os.cpu_count()} cœurs, {seconds:.1f} s ({len(communes) / seconds:.2f} rapports/s)")


if __name__ == "__main__":
    main()
