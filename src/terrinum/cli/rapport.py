"""`terrinum rapport`: the diagnostic of one territory (HTML, PDF or JSON), or of every
territory of a level inside another (diagnostic.batch: every core, resumable, an index)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import django_setup, err, fail, out, output_file, progress_bar, require_reference, territory

app = typer.Typer()


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    json = "json"


class Level(str, Enum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"


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
        _batch(territory(dans, "le diagnostic s'arrête"), niveau.value, format.value, out_path, nouveaux, rayon, processus)
        return
    if out_path is not None and not out_path.parent.is_dir():
        fail(f"le dossier « {out_path.parent} » n'existe pas : créez-le, ou choisissez un autre chemin")
    from terrinum.diagnostic import batch

    t = territory(territoire, "le diagnostic s'arrête")
    data = batch.render(t, format.value, nouveaux, rayon)
    if out_path is None and format is ReportFormat.pdf:
        out_path = Path(f"diagnostic-{t.niveau}-{t.code}.pdf")
    if out_path is None:
        sys.stdout.buffer.write(data)
        return
    out_path.write_bytes(data)
    err.print(f"Diagnostic {t.de_nom} écrit dans {out_path}")


def _batch(scope, niveau: str, fmt: str, folder: Path, nouveaux: int, rayon: int, workers: int | None) -> None:
    from terrinum.diagnostic import batch

    try:
        units = batch.units_of(scope, niveau)
    except ValueError as exc:
        fail(str(exc))
    if not units:
        fail(f"aucun territoire de niveau {niveau} dans {scope.nom}.")
    with progress_bar() as progress:
        task = progress.add_task(f"Diagnostics ({niveau}, {scope.nom})", total=len(units))
        done = batch.run(scope, niveau, fmt, folder, nouveaux, rayon, workers, lambda n: progress.advance(task, n))
    out.print(f"{done.written} rapport(s) écrit(s), {done.skipped} inchangé(s) sauté(s) ; index : {folder / 'index.html'}")
    if done.failures:
        for code, message in done.failures[:10]:
            err.print(f"  {niveau} {code} : {message}")
        fail(f"{len(done.failures)} rapport(s) en échec.")


class PlanFormat(str, Enum):
    html = "html"
    json = "json"
    pdf = "pdf"
    odt = "odt"


@app.command("schema-directeur")
def schema_directeur(
    territoire: str = typer.Argument(..., metavar="TERRITOIRE", help="Un département, une région ou une intercommunalité (code, nom, niveau:code)."),
    format: PlanFormat = typer.Option(PlanFormat.html, "--format", help="html (la page), json, pdf ou odt (à amender avec les acteurs)."),
    sortie: Path = typer.Option(None, "--sortie", metavar="FICHIER", callback=output_file, help="Fichier à écrire (sinon la sortie standard)."),
    cout: list[str] = typer.Option(
        None,
        "--cout",
        metavar="ZONE=EUROS",
        help="Coût par local restant à raccorder d'une zone (ZTD, AMII, RIP) ou d'une classe de communes d'une zone (RIP_rurale, RIP_urbaine) ; répétable.",
    ),
    part: list[str] = typer.Option(
        None, "--part", metavar="FINANCEUR=POURCENT", help="Part d'un financeur (Etat, Region, Departement, EPCI, Operateurs) ; répétable."
    ),
    cible: list[int] = typer.Option(None, "--cible", metavar="ANNEE", help="Année d'achèvement d'un scénario ; répétable (scénarios comparés)."),
) -> None:
    """Le projet de schéma directeur territorial d'aménagement numérique d'un département ou
    d'une région (article L1425-2 du CGCT), ou la stratégie d'une intercommunalité : diagnostic, zones d'intervention de la fibre,
    phasage, mobile, inclusion, stratégie d'investissement (les coûts unitaires sont les
    vôtres : --cout RIP=1200)."""
    import json

    django_setup()
    require_reference()
    from django.template.loader import render_to_string

    from terrinum.diagnostic import schema

    costs = {}
    for item in cout or []:
        zone, _, value = item.partition("=")
        try:
            head, _, density = zone.strip().partition("_")
            costs[head.upper() + (f"_{density.lower()}" if density else "")] = float(value.replace(",", "."))
        except ValueError:
            fail(f"--cout « {item} » : ZONE=EUROS attendu (ex. RIP=1200)", 64)
    unknown = sorted(set(costs) - set(schema.COST_KEYS))
    if unknown:
        fail(f"--cout : zone(s) inconnue(s) {', '.join(unknown)} (ZTD, AMII ou RIP, ou une classe : RIP_rurale, RIP_urbaine…)", 64)
    shares = {}
    for item in part or []:
        funder, _, value = item.partition("=")
        try:
            shares[funder.strip()] = float(value.replace(",", "."))
        except ValueError:
            fail(f"--part « {item} » : FINANCEUR=POURCENT attendu (ex. Etat=40)", 64)
    wrong = sorted(set(shares) - set(schema.FUNDERS))
    if wrong:
        fail(f"--part : financeur(s) inconnu(s) {', '.join(wrong)} ({', '.join(schema.FUNDERS)})", 64)
    if format in (PlanFormat.pdf, PlanFormat.odt) and sortie is None:
        fail(f"--sortie : un fichier pour le format {format.value}", 64)
    t = territory(territoire, "le schéma directeur s'arrête")
    try:
        data = schema.compose(t, costs, shares, list(cible or []))
    except ValueError as exc:
        fail(str(exc))
    if format in (PlanFormat.pdf, PlanFormat.odt):
        sortie.write_bytes(schema.as_pdf(t, data) if format is PlanFormat.pdf else schema.as_odt(t, data))
        err.print(f"Schéma directeur {t.de_nom} écrit dans {sortie}")
        return
    if format is PlanFormat.json:
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    else:
        body = render_to_string("diagnostic/schema_directeur.html", {"t": t, "s": data, "url": f"/territoires/{t.niveau}/{t.code}/"})
    if sortie is None:
        sys.stdout.write(body)
        return
    sortie.write_text(body, encoding="utf-8")
    err.print(f"Schéma directeur {t.de_nom} écrit dans {sortie}")
