"""Diagnostic reports as files: one report's bytes in a format, and a batch of reports (every
territory of a level inside another) on every core, resumable (a report whose inputs did not
change is skipped), with an index page. `terrinum rapport` parses and prints; this runs."""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from html import escape
from multiprocessing import get_context
from pathlib import Path

STATE = ".rapports.json"  # in a batch folder: file -> key of its inputs
FORMATS = ("html", "pdf", "json")


def render(t, fmt: str, nouveaux: int, rayon: int) -> bytes:
    """One report's bytes in a format (HTML: the standalone page, stylesheet inlined)."""
    from terrinum.diagnostic import document, rendering

    if fmt == "json":
        return (json.dumps(document.compose(t), ensure_ascii=False, indent=2, default=str) + "\n").encode()
    if fmt == "pdf":
        return rendering.pdf(t, nouveaux=nouveaux, rayon=rayon)
    return rendering.html(t, pdf=True, nouveaux=nouveaux, rayon=rayon).encode()


def inputs_key(fmt: str, nouveaux: int, rayon: int) -> str:
    """What a report depends on besides its territory: the files imported (provenance), the
    operational apps' state, the code of the report, the options. Unchanged: the report is skipped."""
    from terrinum.pillars import change_stamp
    from terrinum.warehouse import store

    with store.reader() as con:
        files = con.execute("SELECT source, millesime, sha256 FROM provenance ORDER BY ALL").fetchall()
    root = Path(__file__).resolve().parents[1]
    code = hashlib.sha256()
    for path in sorted(
        [*(root / "diagnostic").rglob("*.py"), *(root / "diagnostic").rglob("*.html"), *(root / "pillars").rglob("*.html"), *(root / "web" / "static" / "terrinum").glob("*.css")]
    ):  # fmt: skip
        code.update(path.read_bytes())
    state = [files, list(change_stamp()), code.hexdigest(), fmt, nouveaux, rayon]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _start_worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    django.setup()
    gc.disable()  # collected after each report instead: _one


def _one(niveau: str, code: str, fmt: str, nouveaux: int, rayon: int, target: str) -> str:
    """One report of a batch, in a worker process. The garbage collector runs once per report,
    not during it, and what the first report loaded (peers of the level, fonts, caches) is
    frozen out of its scans: a PDF is laid out from some 10⁵ short-lived objects, and the
    collections triggered while they are made scanned the whole heap (0.25 s of the 1.1 s of
    a commune's PDF; docs/notes-techniques.md, "Diagnostic")."""
    from terrinum.territories import services

    t = services.get(niveau, code)
    try:
        data = render(t, fmt, nouveaux, rayon)
    finally:
        gc.collect()
        if not gc.get_freeze_count():
            gc.freeze()
    draft = Path(target + ".brouillon")
    draft.write_bytes(data)
    os.replace(draft, target)
    return code


@dataclass
class Batch:
    """What a batch did: territories (code, name), files written, skipped, failed."""

    units: list[tuple[str, str]]
    written: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def units_of(scope, niveau: str) -> list[tuple[str, str]]:
    """(code, name) of every territory of `niveau` inside `scope`, in code order."""
    from terrinum.territories.helpers import COMMUNE_COLUMN
    from terrinum.territories.models import Territory

    if scope.niveau not in (*COMMUNE_COLUMN, "pays"):
        raise ValueError(f"un lot se fait dans une commune, une intercommunalité, un département, une région ou la France, pas dans {scope.nom}.")
    members = Territory.objects.filter(niveau="commune")
    if scope.niveau != "pays":
        members = members.filter(**{COMMUNE_COLUMN[scope.niveau]: scope.code})
    if niveau == "commune":
        return list(Territory.objects.filter(niveau="commune", code__in=members.values("code")).order_by("code").values_list("code", "nom"))
    codes = set(members.values_list(COMMUNE_COLUMN[niveau], flat=True)) - {None}
    return list(Territory.objects.filter(niveau=niveau, code__in=codes).order_by("code").values_list("code", "nom"))


def run(
    scope, niveau: str, fmt: str, folder: Path, nouveaux: int, rayon: int, workers: int | None = None, advance: Callable[[int], None] = lambda n: None
) -> Batch:
    """Write the reports of every territory of `niveau` inside `scope` in `folder` (empty
    scope: ValueError). `advance(n)` is told of n more reports done (or skipped)."""
    units = units_of(scope, niveau)
    if not units:
        raise ValueError(f"aucun territoire de niveau {niveau} dans {scope.nom}.")
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / STATE
    done = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else {}
    key = inputs_key(fmt, nouveaux, rayon)
    names = {code: f"{niveau}-{code}.{fmt}" for code, _ in units}
    todo = [code for code, _ in units if done.get(names[code]) != key or not (folder / names[code]).exists()]
    batch = Batch(units, skipped=len(units) - len(todo))
    advance(batch.skipped)
    if todo:
        workers = min(workers or os.cpu_count() or 1, len(todo))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
            futures = {pool.submit(_one, niveau, code, fmt, nouveaux, rayon, str(folder / names[code])): code for code in todo}
            for future in as_completed(futures):
                code = futures[future]
                try:
                    future.result()
                    done[names[code]] = key
                    batch.written += 1
                except Exception as exc:  # reported, the batch goes on; the state keeps it to redo
                    batch.failures.append((code, str(exc)))
                advance(1)
                state_file.write_text(json.dumps(done, indent=1), encoding="utf-8")
    _index(folder, scope, niveau, units, names, fmt)
    return batch


def _index(folder: Path, scope, niveau: str, units: list, names: dict, fmt: str) -> None:
    rows = "\n".join(f'<li><a href="{escape(names[code])}">{escape(nom)}</a> ({escape(code)})</li>' for code, nom in units if (folder / names[code]).exists())
    (folder / "index.html").write_text(
        f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Diagnostics numériques — {escape(scope.nom)}</title></head>
<body><main><h1>Diagnostics numériques — {escape(scope.nom)}</h1>
<p>{len(units)} territoires ({escape(niveau)}), format {escape(fmt.upper())}.</p>
<ul>
{rows}
</ul></main></body></html>
""",
        encoding="utf-8",
    )
