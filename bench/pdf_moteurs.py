"""Benchmark: the diagnostic report's PDF, the same content through two engines.

    .venv/bin/python bench/pdf_moteurs.py [--donnees var] [--communes 12]

Needs an initialised data directory (./run.sh), only read. For `--communes` communes of the
Ardennes, the report's page is composed once (the HTML both engines read), then laid out:
1. by WeasyPrint as Terrinum did until December 2026 (PDF/UA-1, the page rules parsed once,
   the drawing rules inside each drawing) — the baseline;
2. by Typst (diagnostic.typeset: the HTML converted to Typst markup, compiled as PDF/UA-1).
Prints the mean seconds per report of each, the ratio of Typst to WeasyPrint in this run,
and the pages of each file. ReportLab is not measured: its open-source toolkit writes no
tagged PDF, which the report must be (docs/notes-techniques.md). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    parser.add_argument("--communes", type=int, default=12)
    args = parser.parse_args()
    os.environ["TERRINUM_DATA_DIR"] = str(args.donnees.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()
    import pypdf
    from weasyprint import CSS, HTML

    from terrinum.diagnostic import rendering, typeset
    from terrinum.territories.models import Territory

    communes = list(Territory.objects.filter(niveau="commune", departement_code="08").order_by("code"))
    sample = communes[:: max(1, len(communes) // args.communes)][: args.communes]
    page_rules, drawing = rendering._stylesheets()
    colours = rendering.colours()
    pages = [rendering._laid_out(t, drawing) for t in sample]

    def weasyprint(page: str) -> bytes:
        return HTML(string=page).write_pdf(pdf_variant="pdf/ua-1", stylesheets=[CSS(string=rendering._rules_for(page, page_rules))])

    def typst(page: str) -> bytes:
        return typeset.pdf(page, colours)

    results = {}
    for name, engine in (("WeasyPrint", weasyprint), ("Typst", typst)):
        engine(pages[0])  # warm-up: fonts, parsers
        gc.collect()
        gc.disable()  # as in a batch worker: collected between reports
        start, count = time.perf_counter(), []
        for page in pages:
            count.append(len(pypdf.PdfReader(io.BytesIO(engine(page))).pages))
            gc.collect()
        results[name] = ((time.perf_counter() - start) / len(pages), sum(count) / len(count))
        gc.enable()
    base = results["WeasyPrint"][0]
    print(f"{len(pages)} communes des Ardennes, même HTML (composé une fois)")
    for name, (seconds, n) in results.items():
        print(f"  {name:<11} {seconds:6.3f} s par rapport  {seconds / base:5.2f}×  {n:4.1f} pages en moyenne")


if __name__ == "__main__":
    main()
