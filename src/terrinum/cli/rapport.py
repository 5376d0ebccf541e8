"""`terrinum rapport`: the diagnostic of one territory (HTML, PDF or JSON), or of every
territory of a level inside another (a batch on every core, resumable, with an index)."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from enum import Enum
from html import escape
from multiprocessing import get_context
from pathlib import Path

import typer

from terrinum.cli.common import django_setup, err, fail, out, progress_bar, require_reference, territory

app = typer.Typer()
STATE = ".rapports.json"  # in a batch folder: file -> key of its inputs


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    json = "json"


class Level(str, Enum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"


def render(t, fmt: str, nouveaux: int, rayon: int) -> bytes:
    """One report's bytes in a format (HTML: the standalone page, stylesheet inlined)."""
    from terrinum.diagnostic import document
    from terrinum.web import diagnostic

    if fmt == "json":
        return (json.dumps(document.compose(t), ensure_ascii=False, indent=2, default=str) + "\n").encode()
    if fmt == "pdf":
        return diagnostic.pdf(t, nouveaux=nouveaux, rayon=rayon)
    return diagnostic.html(t, pdf=True, nouveaux=nouveaux, rayon=rayon).encode()


def inputs_key(fmt: str, nouveaux: int, rayon: int) -> str:
    """What a report depends on besides its territory: the files imported (provenance), the
    places registry, the code of the report, the options. Unchanged: the report is skipped."""
    import terrinum
    from terrinum.warehouse import store
    from terrinum.web.views import registry_state

    with store.reader() as con:
        files = con.execute("SELECT source, millesime, sha256 FROM provenance ORDER BY ALL").fetchall()
    root = Path(terrinum.__file__).parent
    code = hashlib.sha256()
    for path in sorted(
        [*(root / "diagnostic").glob("*.py"), *(root / "pillars").rglob("*.html"), root / "web" / "diagnostic.py", *(root / "web" / "templates" / "web").glob("*diagnostic*.html"), *(root / "web" / "static" / "terrinum").glob("*.css")]
    ):  # fmt: skip
        code.update(path.read_bytes())
    state = [files, list(registry_state()), code.hexdigest(), fmt, nouveaux, rayon]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _start_worker() -> None:
    django_setup()
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


@app.command()
def rapport(
    territoire: str = typer.Argument(None, metavar="TERRITOIRE", help="Le territoire (code, nom, niveau:code) ; sans lui, --dans et --niveau."),
    format: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html (page autonome), pdf ou json."),
    out_path: Path = typer.Option(None, "--out", metavar="CHEMIN", help="Fichier (un rapport) ou dossier (un lot)."),
    dans: str = typer.Option(None, "--dans", metavar="TERRITOIRE", help="Un lot : tous les territoires de --niveau situés dans celui-ci."),
    niveau: Level = typer.Option(None, "--niveau", help="Le niveau des territoires du lot."),
    nouveaux: int = typer.Option(3, "--nouveaux", min=1, max=20, help="Nombre de nouveaux lieux proposés."),
    rayon: int = typer.Option(10, "--rayon", min=1, max=50, help="Rayon d'accès (km) de la proposition."),
    processus: int = typer.Option(None, "--processus", min=1, help="Processus du lot (défaut : un par cœur)."),
) -> None:
    """Le diagnostic numérique d'un territoire (identité, piliers, pairs, priorités, sources),
    en page HTML autonome, en PDF ou en JSON ; ou un lot (--dans departement:08 --niveau
    commune --out DOSSIER) sur tous les cœurs, avec une page d'index, qui saute les rapports
    dont rien n'a changé."""
    django_setup()
    require_reference()
    if territoire is None and dans is None:
        fail("donnez un TERRITOIRE, ou un lot avec --dans et --niveau.", 64)
    if territoire is not None and dans is not None:
        fail("un TERRITOIRE ou un lot (--dans), pas les deux.", 64)
    if dans is not None:
        if niveau is None or out_path is None:
            fail("un lot demande --niveau et --out DOSSIER.", 64)
        batch(territory(dans, "le diagnostic s'arrête"), niveau.value, format.value, out_path, nouveaux, rayon, processus)
        return
    if out_path is not None and not out_path.parent.is_dir():
        fail(f"le dossier « {out_path.parent} » n'existe pas : créez-le, ou choisissez un autre chemin")
    t = territory(territoire, "le diagnostic s'arrête")
    data = render(t, format.value, nouveaux, rayon)
    if out_path is None and format is ReportFormat.pdf:
        out_path = Path(f"diagnostic-{t.niveau}-{t.code}.pdf")
    if out_path is None:
        sys.stdout.buffer.write(data)
        return
    out_path.write_bytes(data)
    err.print(f"Diagnostic {t.de_nom} écrit dans {out_path}")


def batch(scope, niveau: str, fmt: str, folder: Path, nouveaux: int, rayon: int, workers: int | None) -> None:
    from terrinum.territories.models import Territory

    column = {"region": "region_code", "departement": "departement_code", "epci": "epci_code"}.get(scope.niveau)
    members = Territory.objects.filter(niveau="commune", **({column: scope.code} if column else {}))
    if scope.niveau == "commune":
        members = members.filter(code=scope.code)
    if niveau == "commune":
        units = list(Territory.objects.filter(niveau="commune", code__in=members.values("code")).order_by("code").values_list("code", "nom"))
    else:
        codes = set(members.values_list(f"{niveau}_code", flat=True)) - {None}
        units = list(Territory.objects.filter(niveau=niveau, code__in=codes).order_by("code").values_list("code", "nom"))
    if not units:
        fail(f"aucun territoire de niveau {niveau} dans {scope.nom}.")
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / STATE
    done = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else {}
    key = inputs_key(fmt, nouveaux, rayon)
    names = {code: f"{niveau}-{code}.{fmt}" for code, _ in units}
    todo = [code for code, _ in units if done.get(names[code]) != key or not (folder / names[code]).exists()]
    skipped = len(units) - len(todo)
    workers = min(workers or os.cpu_count() or 1, max(1, len(todo)))
    failures = []
    with progress_bar() as progress:
        task = progress.add_task(f"Diagnostics ({niveau}, {scope.nom})", total=len(units), completed=skipped)
        if todo:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
                futures = {pool.submit(_one, niveau, code, fmt, nouveaux, rayon, str(folder / names[code])): code for code in todo}
                for future in as_completed(futures):
                    code = futures[future]
                    try:
                        future.result()
                        done[names[code]] = key
                    except Exception as exc:  # reported, the batch goes on; the state keeps it to redo
                        failures.append((code, str(exc)))
                    progress.advance(task)
                    state_file.write_text(json.dumps(done, indent=1), encoding="utf-8")
    _index(folder, scope, niveau, units, names, fmt)
    out.print(f"{len(units) - skipped - len(failures)} rapport(s) écrit(s), {skipped} inchangé(s) sauté(s) ; index : {folder / 'index.html'}")
    if failures:
        for code, message in failures[:10]:
            err.print(f"  {niveau} {code} : {message}")
        fail(f"{len(failures)} rapport(s) en échec.")


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
