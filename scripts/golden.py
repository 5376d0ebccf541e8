"""Golden comparison for refactorings that must not change behaviour.

    TERRINUM_DATA_DIR=/tmp/golden-data .venv/bin/python scripts/golden.py capture OUT_DIR
    .venv/bin/python scripts/golden.py compare BEFORE_DIR AFTER_DIR

`capture` loads the reference, the demonstration values and the real libraries file (when
../shared/data/real is there) into TERRINUM_DATA_DIR, then writes every CLI output, API
answer and page listed below for Guéret, the CC des Crêtes Préardennaises, the Creuse and
France, one file each. Values that depend on the clock (solve times, "open now") are
masked. `compare` lists the files that differ. Used by the architecture refactoring
(issue 14); kept for the next one.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
TERRITORIES = ["23096", "240800862", "departement:23", "pays:FR"]
LEVELS = {"23096": ("commune", "23096"), "240800862": ("epci", "240800862"), "departement:23": ("departement", "23"), "pays:FR": ("pays", "FR")}

CLI = [
    ["--help"],
    ["ingest", "--help"],
    ["indicateurs", "--help"],
    ["indicateurs", "dictionnaire", "--format", "json"],
    *(["territoire", t, "--format", "json"] for t in TERRITORIES),
    *(["indicateurs", p, "--niveau", n, "--territoire", t, "--format", "json"]
      for p in ("connectivite-fixe", "connectivite-mobile", "fragilite", "accessibilite")
      for t, n in (("23096", "commune"), ("240800862", "commune"), ("departement:23", "epci"), ("pays:FR", "departement"))),
    ["indicateurs", "connectivite-fixe", "--niveau", "region", "--format", "csv", "--separateur", ";"],
    ["implantation", "--territoire", "240800862", "--nouveaux", "2", "--format", "json"],
    ["implantation", "--territoire", "departement:23", "--nouveaux", "3", "--poids", "fragilite", "--format", "json"],
    ["implantation", "--territoire", "departement:23", "--nouveaux", "2", "--objectif", "distance", "--format", "json"],
    *(["rapport", t, "--format", f] for t in ("23096", "departement:23") for f in ("json", "html")),
]  # fmt: skip
URLS = [
    "/",
    "/france/",
    "/connectivite-fixe/",
    "/recherche?q=gueret",
    "/methodologie/fragilite",
    "/lieux/?q=23000",
    *(f"/territoires/{n}/{c}/" for n, c in LEVELS.values()),
    "/territoires/epci/240800862/?comparer=part_ftth&sens=asc",
    "/territoires/departement/23/?tri=nom&ordre=asc",
    "/territoires/epci/240800862/implantation/?nouveaux=2&rayon=10",
    "/api/v1/openapi.json",
    "/api/v1/indicateurs/dictionnaire",
    *(f"/api/v1/territoires/{n}/{c}" for n, c in LEVELS.values()),
    "/api/v1/connectivite-fixe/commune?territoire=23",
    "/api/v1/connectivite-fixe/epci/240800862",
    "/api/v1/connectivite-mobile/departement?territoire=pays:FR",
    "/api/v1/fragilite/commune?territoire=240800862",
    "/api/v1/fragilite/epci?territoire=23&reference=departement:23",
    "/api/v1/lieux?territoire=23",
    *(f"/territoires/{n}/{c}/diagnostic/" for n, c in LEVELS.values()),
]
MASKS = [
    (re.compile(r'"secondes": [0-9.]+'), '"secondes": X'),
    (re.compile(r"en [0-9.]+ s"), "en X s"),
    (re.compile(r'"ouvert": (true|false|null)'), '"ouvert": X'),
    (re.compile(r'csrfmiddlewaretoken" value="[^"]+"'), 'csrfmiddlewaretoken" value="X"'),
    (re.compile(r"(Ouvert|Fermé)[^<]*"), "OUVERT"),
    (re.compile(r"(État d'ouverture au [^.]*) à \d\d:\d\d"), r"\1 à HH:MM"),
]


def _mask(text: str) -> str:
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return text


def _name(parts: list[str]) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", " ".join(parts)).strip("_")[:150] or "root"


def capture(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    terrinum = str(ROOT / ".venv" / "bin" / "terrinum")
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb"}
    for setup in (
        ["init"],
        ["demo"],
        *([["ingest", "lieux-bibliotheques", str(REAL / "lieux" / "bibliotheques_publiques.csv"), "--accepter-rejets"]] if REAL.is_dir() else []),
    ):
        subprocess.run([terrinum, *setup], check=True, env=env, capture_output=True)
    for args in CLI:
        res = subprocess.run([terrinum, *args], env=env, capture_output=True, text=True)
        (out / f"cli_{_name(args)}.txt").write_text(_mask(f"exit {res.returncode}\n{res.stdout}\n--- stderr\n{res.stderr}"), encoding="utf-8")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client()
    for url in URLS:
        res = client.get(url)
        (out / f"url_{_name([url])}.txt").write_text(_mask(f"status {res.status_code}\n{res.content.decode('utf-8')}"), encoding="utf-8")
    print(f"{len(CLI)} sorties de commande et {len(URLS)} réponses écrites dans {out}")


def _lines(path: Path) -> list[str]:
    """The file's lines, blank ones left out (template whitespace is not behaviour)."""
    return [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differing = 0
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"absent d'un côté : {name}")
            differing += 1
            continue
        if _lines(a) != _lines(b):
            differing += 1
            diff = difflib.unified_diff(_lines(a), _lines(b), str(a), str(b), lineterm="", n=1)
            print("\n".join(list(diff)[:40]))
    print(f"{len(names)} fichiers comparés, {differing} différent(s)")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "capture":
        capture(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
