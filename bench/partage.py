"""Benchmark of the shared diagnostic.

    .venv/bin/python bench/partage.py [--participants 500] [--repetitions 7] [--donnees var]

Copies an initialised data directory (`./run.sh` leaves one in var/; never modified; bench/copie.py) to a
temporary one and works on the copy:
1. a démarche of the Ardennes' département council, in consolidation, with `--participants`
   participants who each answered the 7 themes (levels, priorities, a located report for one
   in five);
2. inviting every commune of the Ardennes (449) by link, in one transaction
   (`services.invite_communes`), timed `--repetitions` times (the invitations removed
   between runs);
3. the lead's démarche page (consolidation, perception against measure, moderation list)
   against the plain page of the same territory (`/territoires/departement/08/`), requested by
   Django's test client in the same process, alternately: medians and the ratio (goal ≤ 3×).
Nothing is asserted: read the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from copie import django_on_copy  # bench/copie.py

ROOT = Path(__file__).resolve().parents[1]
THEMES = 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    args = parser.parse_args()
    with django_on_copy(args.donnees, "terrinum-partage-"):
        run(args)


def run(args) -> None:
    import datetime as dt
    import random

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from terrinum.accounts.models import Membership, Organisation
    from terrinum.apps.concertation import services
    from terrinum.apps.concertation.models import THEMES as ALL_THEMES
    from terrinum.apps.concertation.models import Contribution, Demarche, Participant, Signalement

    rng = random.Random(8)
    council = Organisation.objects.create(
        nom="Département des Ardennes (banc)", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="08"
    )
    lead = User.objects.create_user("banc-porteur", password="banc-mot-de-passe-long")
    Membership.objects.create(user=lead, organisation=council, role=Membership.GESTIONNAIRE)
    d = services.open_demarche(council, "departement", "08", "Banc", dt.date(2026, 11, 1), dt.date(2026, 12, 31), lead)
    started = time.perf_counter()
    with transaction.atomic():
        people = Participant.objects.bulk_create([Participant(demarche=d, nom=f"Participant {i:03d}") for i in range(args.participants)])
        answers = Contribution.objects.bulk_create(
            [
                Contribution(
                    participant=p,
                    theme=key,
                    difficulte=rng.randint(1, 5),
                    difficultes="Constat.",
                    priorites="Priorité." if rng.random() < 0.5 else "",
                    statut="soumise",
                    soumise_le=timezone.now(),
                )
                for p in people
                for key, _ in ALL_THEMES[:THEMES]
            ],
            batch_size=2000,
        )
        Signalement.objects.bulk_create(
            [Signalement(contribution=c, categorie="zone-blanche", commune_code="08419", description="Hameau") for c in answers[::5]], batch_size=2000
        )
    Demarche.objects.filter(pk=d.pk).update(statut=Demarche.CONSOLIDATION)
    print(f"{args.participants} participants × {THEMES} thèmes : préparés en {time.perf_counter() - started:.1f} s")

    # 2. every commune of the Ardennes invited in one transaction
    times = []
    for _ in range(args.repetitions):
        t0 = time.perf_counter()
        made = services.invite_communes(d, lead)
        times.append(time.perf_counter() - t0)
        Participant.objects.filter(pk__in=[p.pk for p, _ in made]).delete()
    print(f"invitation des {len(made)} communes des Ardennes (une transaction) : médiane {statistics.median(times):.3f} s")

    # 3. the lead's page against the territory page, alternately
    client = Client()
    client.force_login(lead)
    pages = {f"/diagnostic-partage/{d.pk}/": [], "/territoires/departement/08/": []}
    for url in pages:
        assert client.get(url).status_code == 200, url
    for _ in range(args.repetitions):
        for url, durations in pages.items():
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200
            durations.append(time.perf_counter() - t0)
    own = next(iter(pages))
    m_own, m_plain = (statistics.median(v) for v in pages.values())
    print(f"page de consolidation {own} : médiane {m_own * 1000:.0f} ms ; page du territoire : {m_plain * 1000:.0f} ms")
    print(f"rapport consolidation / page du territoire : {m_own / m_plain:.2f}× (but ≤ 3×)")


if __name__ == "__main__":
    main()
