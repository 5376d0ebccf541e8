"""`terrinum implantation`: where to open new accompaniment places (planning does the work)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from terrinum.cli.common import Format, django_setup, err, fail, out, output_file, within

app = typer.Typer()


class Objectif(str, Enum):
    couverture = "couverture"
    distance = "distance"


class Poids(str, Enum):
    population = "population"
    fragilite = "fragilite"


class Methode(str, Enum):
    auto = "auto"
    exacte = "exacte"
    heuristique = "heuristique"


@app.command()
def implantation(
    territoire: str = typer.Option(..., "--territoire", help="Territoire à mailler (code ou nom)."),
    nouveaux: int = typer.Option(..., "--nouveaux", min=1, help="Nombre de nouveaux sites à ouvrir."),
    rayon_km: float = typer.Option(10.0, "--rayon-km", help="Rayon d'accès en km (objectif couverture)."),
    objectif: Objectif = typer.Option(Objectif.couverture, "--objectif", help="couverture (MCLP) ou distance (p-médian)."),
    poids: Poids = typer.Option(Poids.population, "--poids", help="population, ou fragilite (personnes à risque d'illectronisme)."),
    candidats: str = typer.Option("mairies", "--candidats", help="mairies, bibliotheques (du registre) ou un fichier CSV id;nom;latitude;longitude."),
    service: str = typer.Option(None, "--service", help="Ne compter comme existants que les lieux offrant ce service (libellé du standard)."),
    sans_existants: bool = typer.Option(False, "--sans-existants", help="Ignorer les lieux existants (maillage à partir de rien)."),
    methode: Methode = typer.Option(Methode.auto, "--methode", help="auto (exacte jusqu'à 5 000 communes), exacte ou heuristique."),
    limite_secondes: float = typer.Option(
        None,
        "--limite-secondes",
        min=1,
        help="Objectif couverture, méthode exacte (implicite) : s'arrêter après ce temps avec la meilleure solution trouvée et l'écart prouvé à la borne.",
    ),
    format: Format = typer.Option(Format.table, "--format", help="table ou json."),
    instance_out: Path = typer.Option(
        None, "--instance-out", help="Écrire l'instance résolue (JSON) pour la vérifier avec un autre solveur.", callback=output_file
    ),
) -> None:
    """Où ouvrir N nouveaux lieux pour que le plus de personnes (fragiles) soient à portée."""
    django_setup()
    from terrinum.planning import implantation as planning
    from terrinum.sources.common import SourceError
    from terrinum.territories import services

    t = services.get(*within(territoire).single())
    source = Path(candidats) if candidats not in planning.CANDIDATES else candidats
    if isinstance(source, Path) and not source.is_file():
        fail(f"candidats « {candidats} » : ni mairies, ni bibliotheques, ni un fichier existant")
    if format is Format.csv:
        fail("format csv non disponible pour implantation : table ou json")
    try:
        with err.status("Construction de l'instance…"):
            plan = planning.build(t, nouveaux, rayon_km, objectif.value, poids.value, source, service, existing=not sans_existants)
        if instance_out:
            instance_out.write_text(plan.instance.to_json(), encoding="utf-8")
        with err.status("Résolution…"):
            sol = planning.solve(plan, methode.value, limite_secondes)
    except SourceError as exc:
        fail(f"fichier de candidats refusé.\n  {exc}")
    except (ValueError, RuntimeError) as exc:
        fail(str(exc))
    result = planning.describe(plan, sol)
    if format is Format.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    head = Table(show_header=False, title=f"Implantation — {t.nom} ({objectif.value}, {nouveaux} site(s), {rayon_km:g} km)")
    head.add_row("poids", result["source_poids"] + (" — données de démonstration" if result["demo"] else ""))
    head.add_row("méthode", f"{result['methode']} en {result['secondes']} s")
    head.add_row("communes / candidats / lieux existants", f"{result['points_de_demande']} / {result['candidats']} / {result['sites_existants']}")
    if objectif is Objectif.couverture:
        head.add_row(
            "couvert avant → après",
            f"{result['couvert_avant']:,.0f} ({result['part_couverte_avant']} %) → {result['couvert_apres']:,.0f} ({result['part_couverte_apres']} %)".replace(
                ",", " "
            ),
        )
        if result["ecart_a_la_borne_pct"] is not None:
            head.add_row("écart à la borne", f"{result['ecart_a_la_borne_pct']} % (borne {result['borne_lp']:,.0f})".replace(",", " "))
    else:
        before = result["distance_moyenne_avant_km"]
        head.add_row(
            "distance moyenne avant → après",
            f"{before if before is not None else '— (aucun lieu existant)'} km → {result['distance_moyenne_apres_km']} km".replace("existant) km", "existant)"),
        )
    for note in [*result["notes"], *filter(None, [result["moins_que_demande"]])]:
        head.add_row("note", note)
    out.print(head)
    sites = Table(title="Sites choisis")
    for col in ("id", "nom", "commune", "latitude", "longitude"):
        sites.add_column(col)
    for s in result["sites_choisis"]:
        sites.add_row(s["id"], s["nom"], s["commune_code"] or "", f"{s['latitude']:.5f}", f"{s['longitude']:.5f}")
    out.print(sites)
    if result["courbe"]:
        curve = Table(title="Gain marginal (1 à N nouveaux sites)")
        key = "part_couverte" if objectif is Objectif.couverture else "distance_moyenne_km"
        curve.add_column("nouveaux sites")
        curve.add_column("part couverte (%)" if objectif is Objectif.couverture else "distance moyenne (km)")
        for point in result["courbe"]:
            curve.add_row(str(point["nouveaux_sites"]), str(point[key]))
        out.print(curve)
