"""Load benchmark of the production server, on loopback only, bounded in time.

    .venv/bin/python bench/charge.py [--clients 32] [--secondes 30] [--donnees var] [--seulement API]

Copies an initialised data directory (`./run.sh` leaves one in var/; never modified) to a
temporary one, starts `terrinum serve` (Gunicorn, default workers) on a free loopback port,
then for each target runs `--clients` clients (threads, keep-alive connections) for
`--secondes` seconds and prints requests/s, p50/p95/p99 latency and errors, each against a
trivial view measured in the same run (`/favicon.ico`: a redirect, no database). Then the
same targets again while `terrinum ingest` imports a fixed-connectivity file into the same
data directory (the real ARCEP extract when ../shared/data/real is there), and the ratio of
throughput during the import to without. Stops its server and removes its copy at the end.
Every client accepts gzip; one target revalidates the API page with its entity tag (304); one
reads Guéret's page with the session cookie of an account (signed-in pages are rendered for
each request).
Nothing is asserted: read the ratios.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from copie import copied  # bench/copie.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TRIVIAL = "/favicon.ico"
TARGETS = {
    "page de Guéret": "/territoires/commune/23096/",
    "page de la Creuse": "/territoires/departement/23/",
    "API (une page de liste)": "/api/v1/connectivite-fixe/commune?territoire=23&limit=200",
    "API, page revalidée (304)": "/api/v1/connectivite-fixe/commune?territoire=23&limit=200",
    "recherche de lieux": "/lieux/?q=23000",
    "page de Guéret, connecté": "/territoires/commune/23096/",
}
SIGNED_IN = "page de Guéret, connecté"  # with the session cookie of an account (rendered each time)
SESSION = """
import django; django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from importlib import import_module
from django.conf import settings
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
user = User.objects.create_user("banc-charge", password="banc-charge-mot-de-passe")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend", HASH_SESSION_KEY: user.get_session_auth_hash()})
session.create()
print(session.session_key)
"""
REAL_MCI = ROOT.parent / "shared" / "data" / "real" / "arcep" / "mci_2019T3_communes_debit_beta.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(env: dict, *options: str):
    """`terrinum serve` on a free loopback port for the block, once it accepts connections:
    (port, process); stopped (SIGTERM, then killed) at the end. Also used by
    bench/pass_numerique.py."""
    port = free_port()
    server = subprocess.Popen([BIN / "terrinum", "serve", "--port", str(port), *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"le serveur n'a pas démarré : {server.stdout.read().decode()}")
                time.sleep(0.3)
        yield port, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server.stdout.close()


# Every client says it accepts gzip (browsers, curl --compressed, requests do); the revalidating
# client also sends back the entity tag it was given (If-None-Match), filled in by main().
HEADERS = {"Accept-Encoding": "gzip"}
REVALIDATING = "API, page revalidée (304)"  # sent with the entity tag of its first answer
TARGET_HEADERS: dict[str, dict] = {}  # a target's own headers (entity tag, session cookie), filled at start


def load(port: int, path: str, clients: int, seconds: float, headers: dict | None = None) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], 0
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                con.request("GET", path, headers={**HEADERS, **(headers or {})})
                response = con.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - t)
        con.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"rps": len(latencies) / elapsed, "p50": q[49], "p95": q[94], "p99": q[98], "n": len(latencies), "errors": errors[0]}


def show(label: str, r: dict, trivial: dict) -> None:
    print(
        f"  {label:<26} {r['rps']:8.1f} req/s  p50 {1000 * r['p50']:7.0f} ms  p95 {1000 * r['p95']:7.0f} ms  p99 {1000 * r['p99']:7.0f} ms"
        f"  erreurs {r['errors']:4d}/{r['n']:<6d}  {r['rps'] / trivial['rps']:.2f}× la vue triviale"
    )


def round_of(port: int, clients: int, seconds: float, title: str) -> dict:
    print(f"\n== {title} ({clients} clients × {seconds:.0f} s chacun) ==")
    trivial = load(port, TRIVIAL, clients, seconds)
    show("vue triviale", trivial, trivial)
    out = {"trivial": trivial}
    for label, path in TARGETS.items():
        out[label] = load(port, path, clients, seconds, TARGET_HEADERS.get(label))
        show(label, out[label], trivial)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--secondes", type=float, default=30)
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    parser.add_argument("--seulement", help="Ne mesurer que les cibles dont le nom contient ce mot (la vue triviale toujours).")
    args = parser.parse_args()
    if args.seulement:
        for label in [label for label in TARGETS if args.seulement.lower() not in label.lower()]:
            del TARGETS[label]
    with copied(args.donnees, "terrinum-charge-") as data:
        env = {**os.environ, "TERRINUM_DATA_DIR": str(data)}
        if SIGNED_IN in TARGETS:
            made = subprocess.run(
                [BIN / "python", "-c", SESSION], env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}, capture_output=True, text=True
            )
            if made.returncode:
                sys.exit(made.stderr)
            TARGET_HEADERS[SIGNED_IN] = {"Cookie": f"sessionid={made.stdout.strip()}"}
        with served(env) as (port, server):
            print((server.stdout.readline() or b"").decode().strip())
            for path in [TRIVIAL, *TARGETS.values()]:  # first requests (each worker computes once per data version)
                load(port, path, 4, 2)
            if REVALIDATING in TARGETS:
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                con.request("GET", TARGETS[REVALIDATING], headers=HEADERS)
                response = con.getresponse()
                response.read()
                TARGET_HEADERS[REVALIDATING] = {"If-None-Match": response.getheader("ETag") or ""}
                con.close()
            calm = round_of(port, args.clients, args.secondes, "Sans import")
            if REAL_MCI.exists():
                source = REAL_MCI
            else:
                source = data / "mci.csv"
                source.write_text(
                    "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"
                    "23096;Guéret;23;75;100;all;0;100;100;100;90;80;50;2024-12-31\n",
                    encoding="utf-8",
                )
            stop = threading.Event()
            imports = []

            def importing():
                """Imports one after another; each file differs by a trailing blank line (the same
                file twice would change nothing), so each one publishes a new version."""
                original = source.read_bytes()
                while not stop.is_set():
                    path = data / f"mci_2019T3_copie{len(imports)}.csv"
                    path.write_bytes(original + b"\n" * (len(imports) + 1))
                    t = time.perf_counter()
                    done = subprocess.run([BIN / "terrinum", "ingest", "arcep-mci-communes", str(path)], env=env, capture_output=True, text=True)
                    imports.append((done.returncode, time.perf_counter() - t))

            worker = threading.Thread(target=importing)
            worker.start()
            busy = round_of(port, args.clients, args.secondes, "Pendant des imports successifs")
            stop.set()
            worker.join()
            ok = sum(1 for i in imports if i[0] == 0)
            print(f"\n  imports pendant la mesure : {len(imports)}, réussis : {ok}, durée médiane {statistics.median(i[1] for i in imports):.1f} s")
            for label in ["trivial", *TARGETS]:
                print(f"  {label:<26} débit pendant les imports / sans : {busy[label]['rps'] / calm[label]['rps']:.2f}×")


if __name__ == "__main__":
    main()
