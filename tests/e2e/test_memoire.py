"""Server memory stays bounded whatever the request: the heaviest anonymous requests, four at
a time, then one national list computed after another for new options, against one worker
process of the real server (`terrinum serve --workers 1`), on the whole demonstration
warehouse (every commune of France)."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.conftest import start_server

# The stated bound for one worker's peak resident memory (docs/exploitation.md).
RSS_BOUND_MB = 600  # measured: 534 MB (30 November), 605 MB in CI (7 December), 495-501 MB since (docs/notes-techniques.md)
HEAVIEST = [
    "/api/v1/fragilite/commune?reference=departement:23&limit=2000",  # another reference: the published rows compared again
    "/api/v1/connectivite-mobile/commune?operateur=OF&limit=2000",  # computed on demand, every commune
    "/api/v1/connectivite-fixe/commune?limit=2000&offset=240000",  # the largest published table
    "/donnees/connectivite-fixe-commune.csv",  # 40 MB, sent from its file
    "/territoires/pays/FR/",
    "/territoires/pays/FR/implantation/",
]
# Options read from the published rows (another reference for the fragility index), then
# options computed (the three other operators), each a list of every commune kept per
# version: kept lists are bounded in all (pillars.http.ROWS_BUDGET), else each new option
# asked would add its own.
OTHER_OPTIONS = [
    *(f"/api/v1/fragilite/commune?reference={ref}&limit=10" for ref in ("departement:87", "region:75")),
    *(f"/api/v1/connectivite-mobile/commune?operateur={op}&limit=10" for op in ("SFR0", "BOUY", "FREE")),
]


def memory_mb(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory of process `pid`, in MB (also read by bench/memoire.py)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def fetch(base: str, path: str) -> tuple[str, int, int]:
    """(path, status, size) of a whole answer, read as it comes."""
    with urllib.request.urlopen(base + path, timeout=120) as response:
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        return path, response.status, size


def test_four_of_each_heaviest_request_stay_under_the_stated_memory(server_env):
    master, base = start_server(server_env, "--workers", "1", "--threads", "4", "--sans-travaux")
    try:
        (worker,) = (int(p) for p in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split())
        with ThreadPoolExecutor(4) as pool:
            for path in HEAVIEST:
                results = list(pool.map(fetch, [base] * 4, [path] * 4))
                assert all(status == 200 and size > 0 for _, status, size in results), results
        for path in OTHER_OPTIONS:
            assert fetch(base, path)[1] == 200
        peak, _ = memory_mb(worker)
        assert peak < RSS_BOUND_MB, f"pic de mémoire du processus : {peak:.0f} Mo"
        print(f"pic de mémoire du processus : {peak:.0f} Mo")
    finally:
        master.terminate()
        master.wait(timeout=20)
        master.stdout.close()
