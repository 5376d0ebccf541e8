"""Benchmark of the RGPD registers of a shared DPO.

    .venv/bin/python bench/rgpd.py [--collectivites 300] [--activites 40] [--copies 200]
                                   [--repetitions 7] [--donnees var]

Copies an initialised data directory (`./run.sh` leaves one in var/; never modified; bench/copie.py) to a
temporary one and works on the copy's SQLite database:
1. a mutualisation structure serving `--collectivites` real communes of the référentiel
   (Ardennes, then Marne and Aisne), each with `--activites` activities (the models of the
   library, then activities of its own), a rights request and a breach; its DPO's account;
2. duplicating one model activity into `--copies` registers with `services.duplicate` (one
   transaction), timed `--repetitions` times (the copies removed between runs): goal ≤ 1 s;
3. the DPO's dashboard `/rgpd/` (every collectivité, scores, map) against the plain page of a
   territory (`/territoires/departement/08/`, the baseline of the project's page benches) and
   the home page `/` (a form, no data), requested by Django's test client in the same process,
   alternately, `--repetitions` times each: medians and the ratios (goal ≤ 3× the plain page);
4. bringing in `--registres` registers from Madis (its CSV export of treatments, `--traitements`
   per collectivité, the collectivités created on the way), then the same file again (nothing
   changes), against the same number of activities copied from a model by `services.duplicate`
   (the baseline: the same writes through the register's service, without reading a file).
Nothing is asserted: read the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from copie import django_on_copy  # bench/copie.py

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collectivites", type=int, default=300)
    parser.add_argument("--activites", type=int, default=40)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--registres", type=int, default=150)
    parser.add_argument("--traitements", type=int, default=20)
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    args = parser.parse_args()
    with django_on_copy(args.donnees, "terrinum-rgpd-"):
        run(args)


def run(args) -> None:
    import datetime as dt

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client

    from terrinum.accounts.models import Membership, Organisation
    from terrinum.apps.rgpd import modeles, services
    from terrinum.apps.rgpd.models import Activite, Collectivite, Demande, Donnee, Violation
    from terrinum.territories.models import Territory

    communes = list(
        Territory.objects.filter(niveau="commune", departement_code__in=["08", "51", "02"]).order_by("departement_code", "code")[: args.collectivites]
    )
    if len(communes) < args.collectivites:
        sys.exit(f"le référentiel n'a que {len(communes)} communes dans les Ardennes, la Marne et l'Aisne")
    started = time.perf_counter()
    with transaction.atomic():
        structure = Organisation.objects.create(nom="Centre de gestion du banc", type=Organisation.MUTUALISATION)
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(nom=f"Commune de {t.nom} ({t.code})", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code=t.code)
                for t in communes
            ]
        )
        dpo = User.objects.create_user("banc-dpo", password="banc-mot-de-passe-long")
        Membership.objects.create(user=dpo, organisation=structure, role=Membership.DPO)
        cols = [
            services.enrol(structure, o, "commune", t.code, t.departement_code, "DPO-BANC" if i % 2 else "")
            for i, (o, t) in enumerate(zip(orgs, communes, strict=True))
        ]
        for m in modeles.MODELS:
            services.duplicate(m.key, cols, dpo)
        own = args.activites - len(modeles.MODELS)
        made = Activite.objects.bulk_create(
            [
                Activite(
                    collectivite=c,
                    nom=f"Activité propre n° {k}",
                    finalites="Gestion d'un service communal.",
                    base_legale="mission-publique",
                    statut=("brouillon", "termine", "verifie")[k % 3],
                )
                for c in cols
                for k in range(own)
            ],
            batch_size=2000,
        )
        Donnee.objects.bulk_create([Donnee(activite=a, categorie="Identité", duree="Durée du service") for a in made], batch_size=2000)
        paris = dt.timezone(dt.timedelta(hours=1))
        Demande.objects.bulk_create(
            [Demande(collectivite=c, droit="acces", recue_le=dt.datetime(2026, 10, 1 + i % 28, 10, tzinfo=paris)) for i, c in enumerate(cols)]
        )
        Violation.objects.bulk_create(
            [
                Violation(
                    collectivite=c,
                    connue_le=dt.datetime(2026, 9, 1 + i % 28, 10, tzinfo=paris),
                    natures=["confidentialite"],
                    cause="Erreur d'envoi",
                    donnees="Adresses",
                    personnes=3,
                    risque="risque",
                )
                for i, c in enumerate(cols)
            ]
        )
    print(
        f"{len(cols)} collectivités × {Activite.objects.count() // len(cols)} activités, une demande et une violation chacune : préparées en {time.perf_counter() - started:.1f} s"
    )

    # 2. duplication of one model into --copies registers
    targets = cols[: args.copies]
    extra = modeles.Model(
        "banc", "Modèle du banc", "Finalité du banc.", "mission-publique", "Texte du banc.", ["Habitants"], [modeles.Data("Identité", "Un an")], [], "banc"
    )
    modeles.BY_KEY["banc"] = extra
    times = []
    for _ in range(args.repetitions):
        t0 = time.perf_counter()
        done = services.duplicate("banc", targets, dpo)
        times.append(time.perf_counter() - t0)
        assert done["creees"] == len(targets)
        Activite.objects.filter(modele="banc").delete()
    print(
        f"duplication d'un modèle dans {len(targets)} registres (une transaction) : médiane {statistics.median(times):.3f} s, min {min(times):.3f} s (but ≤ 1 s)"
    )

    # 3. the dashboard against plain pages, alternately
    client = Client()
    client.force_login(dpo)
    plain = "/territoires/departement/08/"
    pages = {"/rgpd/": [], "/": [], plain: []}
    for url in pages:  # warm-up: templates, first queries
        assert client.get(url).status_code == 200, url
    for _ in range(args.repetitions):
        for url, durations in pages.items():
            t0 = time.perf_counter()
            response = client.get(url)
            durations.append(time.perf_counter() - t0)
            assert response.status_code == 200
    size = len(client.get("/rgpd/").content)
    medians = {url: statistics.median(d) for url, d in pages.items()}
    print(f"tableau de bord du DPO /rgpd/ ({len(cols)} collectivités, {size // 1024} Kio) : médiane {medians['/rgpd/'] * 1000:.0f} ms")
    print(f"page d'accueil / : {medians['/'] * 1000:.0f} ms ; page d'un territoire {plain} : {medians[plain] * 1000:.0f} ms")
    print(
        f"rapport tableau de bord / page d'un territoire : {medians['/rgpd/'] / medians[plain]:.2f}× (but ≤ 3×) ; / page d'accueil : {medians['/rgpd/'] / medians['/']:.1f}×"
    )

    # 4. registers brought in from Madis
    import csv
    import io

    from terrinum.apps.rgpd import madis

    header = ["Nom", "Structure - Nom", "Structure - Code INSEE", "En tant que", "Finalités", "Base légale", "Justification de la base légale",
              "Catégorie de données", "Détails - Délai de conservation - Durée", "Détails - Délai de conservation - Sort final",
              "Détails - Personnes concernées - Usagers", "Mesures de sécurité et confidentialité - Contrôle d'accès", "Gestionnaire"]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for i in range(args.registres):
        for k in range(args.traitements):
            writer.writerow([f"Traitement n° {k}", f"Commune reprise de Madis n° {i}", "", "Responsable de traitement", "Gestion d'un service communal.",
                             "L'exécution d'une mission d'intérêt public", "Code général des collectivités territoriales", "État civil - Coordonnées postales",
                             "1: 5 ans", "1: Destruction", "Oui", "Oui", "Service"])  # fmt: skip
    raw = ("\ufeff" + out.getvalue()).encode("utf-8")
    rows = args.registres * args.traitements
    t0 = time.perf_counter()
    first = madis.import_treatments(structure, raw, "traitements.csv", dpo, create=True)
    created = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = madis.import_treatments(structure, raw, "traitements.csv", dpo, create=True)
    unchanged = time.perf_counter() - t0
    assert len(first.creees) == rows and len(again.inchangees) == rows and not again.creees
    imported = Collectivite.objects.filter(organisation__nom__startswith="Commune reprise de Madis")
    t0 = time.perf_counter()
    for k in range(args.traitements):
        modeles.BY_KEY[f"banc-{k}"] = modeles.Model(
            f"banc-{k}",
            f"Modèle du banc n° {k}",
            "Finalité du banc.",
            "mission-publique",
            "Texte du banc.",
            ["Usagers"],
            [modeles.Data("Identité", "5 ans")],
            [],
            f"banc-{k}",
        )
        services.duplicate(f"banc-{k}", list(imported), dpo)
    baseline = time.perf_counter() - t0
    print(
        f"reprise de Madis : {args.registres} registres × {args.traitements} traitements ({len(raw) // 1024} Kio) : {created:.1f} s "
        f"({rows / created:.0f} activités/s, {args.registres} collectivités créées) ; le même fichier réimporté (rien ne change) : {unchanged:.1f} s"
    )
    print(
        f"référence : les mêmes {rows} activités copiées d'un modèle (services.duplicate) : {baseline:.1f} s ; rapport reprise / copie : {created / baseline:.2f}×"
    )


if __name__ == "__main__":
    main()
