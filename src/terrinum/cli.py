"""The `terrinum` command (Typer + Rich). Verbs are French; see `terrinum --help`."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Terrinum — le diagnostic numérique partagé des territoires.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Erreur :[/] {message}")
    raise typer.Exit(code)


def _reference_loaded() -> bool:
    from django.db import DatabaseError

    from terrinum.territories.models import Territory

    try:
        return Territory.objects.filter(niveau="pays").exists()
    except DatabaseError:
        return False


@app.command()
def init() -> None:
    """Crée ou met à jour les bases de données et charge le référentiel territorial."""
    _django()
    from django.core.management import call_command

    from terrinum.config import data_dir
    from terrinum.territories import loader, reference
    from terrinum.warehouse import store

    steps = 12
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as progress:
        task = progress.add_task("Migrations", total=steps)
        call_command("migrate", verbosity=0, interactive=False)
        progress.advance(task)

        def say(message: str) -> None:
            progress.update(task, description=message)
            progress.advance(task)

        build = loader.build_or_cached(data_dir() / "cache", say)
        progress.update(task, description="Écriture du référentiel dans la base")
        counts = loader.load_reference(build)
        progress.update(task, description="Entrepôt analytique", completed=steps - 1)
        with store.connect() as con:
            store.publish_reference_build(con, build, loader.cache_key(), counts)
        progress.update(task, description="Terminé", completed=steps)
    n = {k: f"{v:,}".replace(",", "\u202f") for k, v in counts.items()}
    out.print(
        f"Référentiel chargé : {n['territoires']} territoires, {n['alias']} codes d'anciennes communes, "
        f"{n['codes_postaux']} codes postaux (populations {reference.POPULATION_MILLESIME})."
    )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Adresse d'écoute."),
    port: int = typer.Option(8000, help="Port d'écoute."),
    threads: int = typer.Option(8, help="Nombre de fils de traitement."),
) -> None:
    """Sert la plateforme web (http://HOST:PORT)."""
    _django()
    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    from waitress import serve as waitress_serve

    from terrinum.web.wsgi import application

    out.print(f"Terrinum est servi sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="terrinum")


def _print_rows(rows: list[dict], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else [])
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title)
    for key in rows[0].keys() if rows else []:
        table.add_column(key)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    out.print(table)


@app.command()
def territoire(
    query: str = typer.Argument(..., help="Nom, code INSEE, SIREN, code postal, ou niveau:code (ex. departement:23)."),
    format: Format = typer.Option(Format.table, "--format", help="table, json ou csv."),
) -> None:
    """Affiche un territoire. Code de sortie : 0 trouvé, 2 ambigu (candidats listés), 1 inconnu."""
    _django()
    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    from terrinum.territories import services

    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        _fail(str(exc))
    if res.statut == "ambigu":
        err.print(f"[yellow]{res.message}[/] Précisez avec un code (INSEE, SIREN ou niveau:code) parmi :")
        _print_rows([services.as_candidate(c) for c in res.candidats], format if format is not Format.table else Format.table, "Candidats")
        raise typer.Exit(2)
    if res.statut == "inconnu":
        _fail(res.message)
    if res.note:
        err.print(f"[cyan]Note :[/] {res.note}")
    data = services.as_dict(res.territoire)
    if res.note:
        data["note"] = res.note
    if format is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    flat = {k: v for k, v in data.items() if not isinstance(v, (dict, list))}
    flat["parents"] = " > ".join(f"{p['nom']} ({p['niveau']} {p['code']})" for p in data["parents"])
    if data.get("mairie"):
        flat["mairie"] = (data["mairie"].get("adresse") or "").replace("\n", ", ")
    if format is Format.csv:
        _print_rows([flat], format)
        return
    table = Table(show_header=False, title=f"{data['nom']} — {res.territoire.niveau_label}")
    for key, value in flat.items():
        table.add_row(key, "" if value is None else str(value))
    out.print(table)


@app.command()
def demo() -> None:
    """Génère les données de démonstration (déterministes, étiquetées) pour les piliers sans données réelles."""
    from terrinum.indicators import demo as demo_mod
    from terrinum.warehouse import store

    try:
        with store.connect() as con, err.status("Génération des données de démonstration…"):
            results = {
                "connectivité fixe": demo_mod.connectivite_fixe(con),
                "connectivité mobile": demo_mod.connectivite_mobile(con),
                "fragilité numérique (entrées INSEE)": demo_mod.fragilite(con),
            }
    except RuntimeError as exc:
        _fail(str(exc))
    for pillar, counts in results.items():
        if counts is None:
            out.print(f"{pillar} : des fichiers réels sont importés, pas de données de démonstration.")
        else:
            written = ", ".join(f"{n:,} lignes dans {t}".replace(",", "\u202f") for t, n in counts.items())
            out.print(f"{pillar} : données de démonstration, {written} ; le premier fichier réel du pilier les remplacera.")


@app.command()
def ingest(
    source: str = typer.Argument(..., help="Type de source : lieux-mediation (CSV ou JSON au standard national), lieux-bibliotheques, arcep-mci-communes, arcep-ftth-communes, arcep-ftth-informations, arcep-mci-batiments (dossier), insee-indicateurs, arcep-mobile-sites, arcep-mobile-communes, arcep-mobile-couverture (GeoPackage)."),
    path: Path = typer.Argument(..., help="Fichier à importer (pour arcep-mci-batiments : le dossier des base_imb_<DEP>.csv.gz et eligibilite/<trimestre>/)."),
    millesime: str = typer.Option(None, "--millesime", help="Millésime (AAAATn) quand le fichier ne le porte pas."),
    passage: Path = typer.Option(None, "--passage", help="Table de passage INSEE des codes communes (CSV)."),
    accepter_rejets: bool = typer.Option(False, "--accepter-rejets", help="Charger les lignes valides même si certaines sont rejetées."),
    crs: str = typer.Option(None, "--crs", help="Système de coordonnées d'un fichier géographique qui n'en déclare pas (ex. EPSG:2154)."),
    format: Format = typer.Option(Format.table, "--format", help="table ou json (rapport d'import)."),
) -> None:
    """Importe un fichier source dans l'entrepôt, ou des lieux dans le registre (une
    transaction ; réimporter ne change rien)."""
    from terrinum.sources.common import SourceError

    if source in LIEUX_SOURCES:
        _ingest_lieux(source, path, accepter_rejets, format)
        return
    from terrinum.warehouse import ingest as ingest_mod
    from terrinum.warehouse import store

    try:
        with store.connect() as con:
            table_passage = ingest_mod.read_passage(passage) if passage else None
            with err.status(f"Import de {path.name}…"):
                report = ingest_mod.ingest_file(
                    con, source, path, millesime=millesime, passage=table_passage, accept_rejects=accepter_rejets, crs=crs
                )
    except SourceError as exc:
        _fail(f"fichier refusé, rien n'est chargé.\n  {exc}")
    except ingest_mod.IngestRefused as exc:
        listed = "\n".join(f"  {p}" for p in exc.problems[: ingest_mod.MAX_LISTED])
        more = len(exc.problems) - ingest_mod.MAX_LISTED
        suffix = f"\n  … et {more} autre(s)" if more > 0 else ""
        _fail(f"{len(exc.problems)} ligne(s) rejetée(s) : fichier refusé, rien n'est chargé (--accepter-rejets pour charger les lignes valides).\n{listed}{suffix}")
    data = report.as_dict()
    if format is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if report.deja_importe:
        out.print(f"{path.name} est déjà importé (même contenu) : rien n'a changé.")
        return
    table = Table(show_header=False, title=f"Import {source} — {path.name}")
    table.add_row("millésime(s)", ", ".join(report.millesimes))
    table.add_row("lignes lues / chargées / rejetées", f"{report.lues} / {report.chargees} / {len(report.rejetees)}")
    table.add_row("anciens codes rattachés", str(report.anciens_codes))
    table.add_row("codes non rattachés (comptés au département)", ", ".join(f"{c} ({d})" for c, d in report.non_rattachees) or "aucun")
    if report.remplace_demo:
        table.add_row("données de démonstration", "remplacées pour ce millésime")
    for note in report.notes:
        table.add_row("note", note)
    for problem in report.rejetees[: ingest_mod.MAX_LISTED]:
        table.add_row("rejet", str(problem))
    out.print(table)


LIEUX_SOURCES = ("lieux-mediation", "lieux-bibliotheques")


def _ingest_lieux(source: str, path: Path, accept_rejects: bool, fmt: Format) -> None:
    """Places go to the relational registry (inclusion), not to the warehouse."""
    _django()
    from terrinum.inclusion import services
    from terrinum.sources import lieux
    from terrinum.sources.common import SourceError

    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    if not path.is_file():
        _fail(f"fichier refusé, rien n'est chargé.\n  {path} : fichier introuvable")
    try:
        with err.status(f"Import de {path.name}…"):
            if source == "lieux-bibliotheques":
                parsed, default_source = lieux.parse_libraries(path), lieux.LIBRARY_SOURCE
            else:
                parsed, default_source = lieux.parse_standard(path), path.name
            report = services.import_parsed(parsed, path.name, default_source, accept_rejects=accept_rejects)
    except SourceError as exc:
        _fail(f"fichier refusé, rien n'est chargé.\n  {exc}")
    except services.ImportRefused as exc:
        listed = "\n".join(f"  {p}" for p in exc.problems[:20])
        more = len(exc.problems) - 20
        suffix = f"\n  … et {more} autre(s)" if more > 0 else ""
        _fail(f"{len(exc.problems)} ligne(s) rejetée(s) : fichier refusé, rien n'est chargé (--accepter-rejets pour charger les lignes valides).\n{listed}{suffix}")
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(show_header=False, title=f"Import {source} — {path.name}")
    table.add_row("lignes lues / rejetées", f"{report.lues} / {len(report.rejetees)}")
    table.add_row("lieux créés / mis à jour / fusionnés / inchangés", f"{report.creees} / {report.mises_a_jour} / {report.fusionnees} / {report.inchangees}")
    for note in report.notes:
        table.add_row("note", note)
    for problem in report.rejetees[:20]:
        table.add_row("rejet", str(problem))
    out.print(table)


lieux_app = typer.Typer(help="Registre des lieux de médiation numérique.", no_args_is_help=True)
app.add_typer(lieux_app, name="lieux")


class LieuxFormat(str, Enum):
    csv = "csv"
    json = "json"


@lieux_app.command("export")
def lieux_export(
    format: LieuxFormat = typer.Option(LieuxFormat.csv, "--format", help="csv ou json, au standard national v1.0.2."),
    out_file: Path = typer.Option(None, "--out", help="Fichier de sortie (sinon la sortie standard)."),
    territoire: str = typer.Option(None, "--territoire", help="Limiter aux lieux situés dans ce territoire (code ou nom)."),
    separateur: str = typer.Option(",", "--separateur", help="Séparateur CSV : « , » (standard) ou « ; »."),
) -> None:
    """Exporte le registre au standard « Lieux de médiation numérique » (réimportable tel quel)."""
    _django()
    from terrinum.accounts import policy
    from terrinum.inclusion import services
    from terrinum.inclusion.models import Lieu

    qs = Lieu.objects.all()
    if territoire:
        niveau, code = _within(territoire)
        qs = qs.filter(commune_code__in=policy.commune_codes_of({(niveau, code)}))
    rows = services.export_rows(qs)
    text = services.to_json(rows) if format is LieuxFormat.json else services.to_csv(rows, separateur)
    if out_file:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{len(rows)} lieu(x) écrit(s) dans {out_file}")
    else:
        sys.stdout.write(text)


compte_app = typer.Typer(help="Comptes, organisations et rôles.", no_args_is_help=True)
app.add_typer(compte_app, name="compte")


class TypeOrganisation(str, Enum):
    collectivite = "collectivite"
    mutualisation = "mutualisation"
    lieu = "lieu"
    financeur = "financeur"
    prescripteur = "prescripteur"


class Role(str, Enum):
    admin = "admin"
    gestionnaire = "gestionnaire"
    membre = "membre"


@compte_app.command("creer")
def compte_creer(
    identifiant: str = typer.Argument(..., help="Identifiant de connexion."),
    organisation: str = typer.Option(None, "--organisation", help="Nom de l'organisation (créée si besoin)."),
    type_organisation: TypeOrganisation = typer.Option(TypeOrganisation.collectivite, "--type", help="Type de l'organisation."),
    role: Role = typer.Option(Role.membre, "--role", help="admin, gestionnaire ou membre (lecture)."),
    territoire: str = typer.Option(None, "--territoire", help="Territoire de la collectivité (code ou nom)."),
    lieu: list[str] = typer.Option(None, "--lieu", help="Identifiant (champ id) d'un lieu rattaché à l'organisation ; répétable."),
    email: str = typer.Option("", "--email"),
    superutilisateur: bool = typer.Option(False, "--superutilisateur", help="Tous les droits (administration de la plateforme)."),
) -> None:
    """Crée (ou met à jour) un compte et son rôle dans une organisation. Le mot de passe est lu
    dans TERRINUM_MOT_DE_PASSE, sinon demandé."""
    _django()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from terrinum.accounts.models import Membership, Organisation
    from terrinum.inclusion.models import Lieu

    password = os.environ.get("TERRINUM_MOT_DE_PASSE") or typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    niveau = code = None
    if territoire:
        niveau, code = _within(territoire)
    if organisation is None and not superutilisateur:
        _fail("--organisation est obligatoire (sauf --superutilisateur)")
    missing = [i for i in lieu or [] if not Lieu.objects.filter(identifiant=i).exists()]
    if missing:
        _fail(f"lieu(x) inconnu(s) au registre : {', '.join(missing)}")
    with transaction.atomic():
        User = get_user_model()
        user, created = User.objects.get_or_create(username=identifiant, defaults={"email": email})
        user.set_password(password)
        user.is_superuser = user.is_staff = superutilisateur or user.is_superuser
        user.save()
        if organisation:
            org, _ = Organisation.objects.get_or_create(nom=organisation, type=type_organisation.value)
            if niveau:
                org.territoire_niveau, org.territoire_code = niveau, code
                org.save()
            Membership.objects.update_or_create(user=user, organisation=org, defaults={"role": role.value})
            Lieu.objects.filter(identifiant__in=lieu or []).update(organisation=org)
    out.print(f"Compte « {identifiant} » {'créé' if created else 'mis à jour'}" + (f", {role.value} de « {organisation} »" if organisation else "") + ".")


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
    limite_secondes: float = typer.Option(None, "--limite-secondes", min=1, help="Objectif couverture, méthode exacte (implicite) : s'arrêter après ce temps avec la meilleure solution trouvée et l'écart prouvé à la borne."),
    format: Format = typer.Option(Format.table, "--format", help="table ou json."),
    instance_out: Path = typer.Option(None, "--instance-out", help="Écrire l'instance résolue (JSON) pour la vérifier avec un autre solveur."),
) -> None:
    """Où ouvrir N nouveaux lieux pour que le plus de personnes (fragiles) soient à portée."""
    _django()
    from terrinum.planning import implantation as planning
    from terrinum.planning import siting
    from terrinum.sources.common import SourceError
    from terrinum.territories.models import Territory

    niveau, code = _within(territoire)
    t = Territory.objects.get(niveau=niveau, code=code)
    source = Path(candidats) if candidats not in planning.CANDIDATES else candidats
    if isinstance(source, Path) and not source.is_file():
        _fail(f"candidats « {candidats} » : ni mairies, ni bibliotheques, ni un fichier existant")
    if format is Format.csv:
        _fail("format csv non disponible pour implantation : table ou json")
    try:
        with err.status("Construction de l'instance…"):
            plan = planning.build(t, nouveaux, rayon_km, objectif.value, poids.value, source, service, existing=not sans_existants)
        if instance_out:
            instance_out.write_text(plan.instance.to_json(), encoding="utf-8")
        with err.status("Résolution…"):
            exact = {"auto": None, "exacte": True, "heuristique": False}[methode.value]
            if objectif is Objectif.distance and exact is False:
                _fail("l'objectif distance est résolu exactement seulement (--methode auto ou exacte)")
            if limite_secondes and (objectif is Objectif.distance or exact is False):
                _fail("--limite-secondes vaut pour la méthode exacte de l'objectif couverture")
            if limite_secondes:
                exact = True  # a time limit asks for the exact method, stopped there
            sol = siting.solve(plan.instance, exact=exact, time_limit=limite_secondes)
    except SourceError as exc:
        _fail(f"fichier de candidats refusé.\n  {exc}")
    except (ValueError, RuntimeError) as exc:
        _fail(str(exc))
    result = planning.describe(plan, sol)
    if format is Format.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    head = Table(show_header=False, title=f"Implantation — {t.nom} ({objectif.value}, {nouveaux} site(s), {rayon_km:g} km)")
    head.add_row("poids", result["source_poids"] + (" — données de démonstration" if result["demo"] else ""))
    head.add_row("méthode", f"{result['methode']} en {result['secondes']} s")
    head.add_row("communes / candidats / lieux existants", f"{result['points_de_demande']} / {result['candidats']} / {result['sites_existants']}")
    if objectif is Objectif.couverture:
        head.add_row("couvert avant → après", f"{result['couvert_avant']:,.0f} ({result['part_couverte_avant']} %) → {result['couvert_apres']:,.0f} ({result['part_couverte_apres']} %)".replace(",", " "))
        if result["ecart_a_la_borne_pct"] is not None:
            head.add_row("écart à la borne", f"{result['ecart_a_la_borne_pct']} % (borne {result['borne_lp']:,.0f})".replace(",", " "))
    else:
        before = result["distance_moyenne_avant_km"]
        head.add_row("distance moyenne avant → après", f"{before if before is not None else '— (aucun lieu existant)'} km → {result['distance_moyenne_apres_km']} km".replace("existant) km", "existant)"))
    for note in result["notes"]:
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


class Niveau(str, Enum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    pays = "pays"


class ExportFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


indicateurs_app = typer.Typer(help="Indicateurs par pilier, à tous les niveaux.", no_args_is_help=True)
app.add_typer(indicateurs_app, name="indicateurs")
# Options shared by every `indicateurs` command.
NIVEAU_OPTION = typer.Option(Niveau.departement, "--niveau")
TERRITOIRE_OPTION = typer.Option(None, "--territoire", help="Limiter aux unités situées dans ce territoire (code ou nom).")
FORMAT_OPTION = typer.Option(ExportFormat.table, "--format")
OUT_OPTION = typer.Option(None, "--out", help="Fichier de sortie (obligatoire pour parquet).")
SEPARATEUR_OPTION = typer.Option(",", "--separateur", help="Séparateur CSV : « , » ou « ; » (tableurs français).")


def _read_warehouse():
    """A read-only warehouse connection (the web server may be reading it too)."""
    from terrinum.warehouse import store

    if not store.warehouse_path().exists():
        _fail("pas d'entrepôt de données : lancez « terrinum init » puis importez des fichiers ou lancez « terrinum demo ».")
    return store.connect(store.warehouse_path(), read_only=True)


def _indicators(fetch, territoire, fmt, out_file, separateur, title: str, empty: str) -> None:
    """What every `indicateurs` command does: resolve the territory, read, export."""
    _django()
    within = _within(territoire) if territoire else None
    try:
        with _read_warehouse() as con:
            rows = fetch(con, within)
    except ValueError as exc:
        _fail(str(exc))
    if not rows:
        _fail(empty)
    _export(rows, fmt, out_file, separateur, title=title)


@indicateurs_app.command("connectivite-fixe")
def indicateurs_connectivite_fixe(
    niveau: Niveau = NIVEAU_OPTION,
    territoire: str = TERRITOIRE_OPTION,
    millesime: str = typer.Option(None, "--millesime", help="Un seul millésime (AAAATn)."),
    format: ExportFormat = FORMAT_OPTION,
    out_file: Path = OUT_OPTION,
    separateur: str = SEPARATEUR_OPTION,
) -> None:
    """Connectivité fixe (Plan France Très Haut Débit) : locaux par débit, fibre, objectifs, projections."""
    from terrinum.indicators import connectivite_fixe as cf

    _indicators(
        lambda con, within: cf.indicator_rows(con, niveau.value, within=within, millesime=millesime),
        territoire, format, out_file, separateur, "Connectivité fixe",
        "aucune donnée de connectivité fixe pour cette demande : importez un fichier (terrinum ingest) ou lancez terrinum demo.",
    )  # fmt: skip


class Operateur(str, Enum):
    OF = "OF"
    SFR0 = "SFR0"
    BOUY = "BOUY"
    FREE = "FREE"


@indicateurs_app.command("connectivite-mobile")
def indicateurs_connectivite_mobile(
    niveau: Niveau = NIVEAU_OPTION,
    territoire: str = TERRITOIRE_OPTION,
    operateur: Operateur = typer.Option(None, "--operateur", help="Un opérateur de métropole ; sans lui, tous."),
    format: ExportFormat = FORMAT_OPTION,
    out_file: Path = OUT_OPTION,
    separateur: str = SEPARATEUR_OPTION,
) -> None:
    """Connectivité mobile : sites par technologie, couverture 4G par opérateur (bornes pour « au moins un » et « tous »)."""
    from terrinum.indicators import connectivite_mobile as cm

    _indicators(
        lambda con, within: cm.indicator_rows(con, niveau.value, within=within, operateur=operateur.value if operateur else None),
        territoire, format, out_file, separateur, "Connectivité mobile",
        "aucune donnée de connectivité mobile : importez un fichier (terrinum ingest arcep-mobile-sites ou arcep-mobile-communes) ou lancez terrinum demo.",
    )  # fmt: skip


@indicateurs_app.command("fragilite")
def indicateurs_fragilite(
    niveau: Niveau = NIVEAU_OPTION,
    territoire: str = TERRITOIRE_OPTION,
    reference: str = typer.Option("pays", "--reference", help="Territoire de référence (indice 100) : pays, region:CODE, departement:CODE, epci:CODE."),
    format: ExportFormat = FORMAT_OPTION,
    out_file: Path = OUT_OPTION,
    separateur: str = SEPARATEUR_OPTION,
) -> None:
    """Fragilité numérique : indice (référence = 100) sur quatre axes, couverture des données, personnes à risque."""
    from terrinum.indicators import fragilite as fr

    _indicators(
        lambda con, within: fr.indicator_rows(con, niveau.value, within=within, reference=reference),
        territoire, format, out_file, separateur, "Fragilité numérique",
        "aucune donnée de fragilité : importez les indicateurs INSEE (terrinum ingest insee-indicateurs) ou lancez terrinum demo.",
    )  # fmt: skip


@indicateurs_app.command("dictionnaire")
def indicateurs_dictionnaire(
    pilier: str = typer.Option(None, "--pilier", help="Une table : connectivite-fixe, connectivite-mobile, fragilite ou accessibilite ; sans lui, toutes."),
    format: ExportFormat = FORMAT_OPTION,
    out_file: Path = OUT_OPTION,
    separateur: str = SEPARATEUR_OPTION,
) -> None:
    """Dictionnaire des données : chaque colonne des exports « indicateurs », son libellé, son unité, son calcul."""
    _django()
    from terrinum.diagnostic import dictionnaire

    try:
        rows = dictionnaire.rows(pilier)
    except ValueError as exc:
        _fail(str(exc))
    _export(rows, format, out_file, separateur, title="Dictionnaire des données")


@indicateurs_app.command("accessibilite")
def indicateurs_accessibilite(
    niveau: Niveau = NIVEAU_OPTION,
    territoire: str = TERRITOIRE_OPTION,
    service: str = typer.Option(None, "--service", help="Ne compter que les lieux offrant ce service (libellé du standard)."),
    detour: float = typer.Option(1.0, "--detour", help="Facteur de détour routier appliqué aux distances à vol d'oiseau (1 = vol d'oiseau)."),
    format: ExportFormat = FORMAT_OPTION,
    out_file: Path = OUT_OPTION,
    separateur: str = SEPARATEUR_OPTION,
) -> None:
    """Accessibilité des lieux d'accompagnement : distance moyenne, habitants au-delà de 5 / 10 / 20 km."""
    _django()
    from terrinum.accounts import policy
    from terrinum.inclusion.models import Lieu
    from terrinum.planning import accessibility
    from terrinum.territories.models import Territory

    if detour < 1:
        _fail("--detour doit être supérieur ou égal à 1")
    if not Lieu.objects.exists():
        _fail("le registre des lieux est vide : importez des lieux (terrinum ingest lieux-mediation ou lieux-bibliotheques).")
    codes = None
    if territoire:
        communes = policy.commune_codes_of({_within(territoire)})
        column = {"commune": "code", "epci": "epci_code", "departement": "departement_code", "region": "region_code"}.get(niveau.value)
        codes = sorted({c for c in Territory.objects.filter(niveau="commune", code__in=communes).values_list(column, flat=True) if c}) if column else None
    rows = [r.as_dict() for r in accessibility.indicator_rows(niveau.value, codes, service=service, detour=detour)]
    source = f"registre des lieux ({Lieu.objects.count()} lieux) ; {accessibility.METHOD}" + (f", facteur de détour {detour:g}" if detour != 1 else "")
    meta = {"service": service or "tous", "source": source, "demo": False}
    rows = [{c: meta[c] if c in meta else r[c] for c in accessibility.COLUMNS} for r in rows]
    _export(rows, format, out_file, separateur, title="Accessibilité des lieux d'accompagnement")


def _within(query: str) -> tuple[str, str]:
    from terrinum.territories import services

    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        _fail(str(exc))
    if res.statut != "trouve":
        _fail(res.message + (" Candidats : " + ", ".join(f"{c.niveau}:{c.code} {c.nom}" for c in res.candidats[:10]) if res.candidats else ""))
    if res.territoire.niveau == "arrondissement":
        _fail("les indicateurs s'arrêtent à la commune : donnez la commune plutôt que l'arrondissement.")
    return res.territoire.niveau, res.territoire.code


def _export(rows: list[dict], fmt: ExportFormat, out_file: Path | None, separateur: str, title: str) -> None:
    if separateur not in (",", ";"):
        _fail("--separateur : « , » ou « ; » seulement.")
    if fmt is ExportFormat.parquet:
        if out_file is None:
            _fail("--format parquet demande --out FICHIER.")
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out_file)
        err.print(f"{len(rows)} lignes écrites dans {out_file}")
        return
    if fmt is ExportFormat.json:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    elif fmt is ExportFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=separateur)
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        _print_rows(rows, Format.table, title)
        return
    if out_file:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{len(rows)} lignes écrites dans {out_file}")
    else:
        sys.stdout.write(text)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
