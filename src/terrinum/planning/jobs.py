"""The job queue of costly web work, in the database (no broker to run): a siting run for a
région or France is a `CalculImplantation` row; `terrinum travaux` (started by `terrinum
serve`) takes the oldest waiting job, runs it, and records its stages, result or error. The
page that asked shows the progress and then the result. docs/exploitation.md, "Calculs"."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from terrinum.pillars import change_stamp
from terrinum.planning.models import CalculImplantation
from terrinum.planning.proposal import siting_result
from terrinum.territories import services
from terrinum.warehouse import store

log = logging.getLogger(__name__)
JOB_SECONDS = 60.0  # solver time limit of a job (a request: proposal.SITING_SECONDS)
STAGES = 3  # preparation, optimisation, drawing
PER_USER = 3  # jobs waiting or running at once, per account
STALE = timedelta(minutes=10)  # a running job without news for this long is taken up again
POLL_SECONDS = 1.0


class TooMany(Exception):
    pass


def key_of(niveau: str, code: str, params: dict) -> str:
    state = [niveau, code, sorted(params.items()), list(store.version() or ()), list(change_stamp())]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def submit(user, t, params: dict) -> CalculImplantation:
    """The job of these parameters on the current data: the one already asked for (whoever
    asked), or a new one waiting. TooMany when the account has PER_USER jobs unfinished."""
    key = key_of(t.niveau, t.code, params)
    existing = CalculImplantation.objects.filter(cle=key).exclude(statut=CalculImplantation.ECHEC).order_by("-cree_le").first()
    if existing is not None:
        return existing
    unfinished = CalculImplantation.objects.filter(demandeur=user, statut__in=(CalculImplantation.EN_ATTENTE, CalculImplantation.EN_COURS))
    if unfinished.count() >= PER_USER:
        raise TooMany(f"Vous avez déjà {PER_USER} calculs en attente ou en cours : attendez qu'ils se terminent.")
    return CalculImplantation.objects.create(cle=key, niveau=t.niveau, code=t.code, parametres=params, demandeur=user)


def claim() -> CalculImplantation | None:
    """Take the oldest waiting job (or a running one whose worker went silent); a conditional
    update, so two workers never take the same job, on SQLite as on PostgreSQL."""
    now = timezone.now()
    stale = now - STALE
    waiting = list(CalculImplantation.objects.filter(statut=CalculImplantation.EN_ATTENTE)[:5])
    silent = list(CalculImplantation.objects.filter(statut=CalculImplantation.EN_COURS, battement__lt=stale)[:5])
    for job in waiting + silent:
        taken = CalculImplantation.objects.filter(pk=job.pk, statut=job.statut, battement=job.battement).update(
            statut=CalculImplantation.EN_COURS, debut=now, battement=now, etapes_faites=0, etape="Démarrage"
        )
        if taken:
            return CalculImplantation.objects.get(pk=job.pk)
    return None


def run(job: CalculImplantation) -> None:
    """Run one claimed job to its end (result or error, both recorded)."""

    def step(message: str) -> None:
        CalculImplantation.objects.filter(pk=job.pk).update(etape=message, battement=timezone.now(), etapes_faites=F("etapes_faites") + 1)

    t = services.get(job.niveau, job.code)
    try:
        if t is None:
            raise ValueError(f"territoire {job.niveau} {job.code} introuvable")
        result = siting_result(t, job.parametres, JOB_SECONDS, step)
    except (ValueError, RuntimeError) as exc:
        _finish(job, CalculImplantation.ECHEC, erreur=str(exc))
    except Exception:  # recorded for the user, logged for the operator; the worker goes on
        log.exception("calcul %s", job.pk)
        _finish(job, CalculImplantation.ECHEC, erreur="Le calcul a échoué sur une erreur inattendue ; l'exploitant en trouvera le détail dans le journal.")
    else:
        _finish(job, CalculImplantation.TERMINE, resultat=result)


def _finish(job: CalculImplantation, statut: str, **fields) -> None:
    with transaction.atomic():
        CalculImplantation.objects.filter(pk=job.pk).update(statut=statut, fin=timezone.now(), battement=timezone.now(), etapes_faites=STAGES, **fields)


def work(once: bool = False) -> int:
    """Run jobs as they come (every POLL_SECONDS); `once`: run those waiting, then return.
    Returns the number of jobs run. Stopped in the middle of a job (SIGTERM, Ctrl+C), the
    job goes back to the queue."""
    done = 0
    while True:
        job = claim()
        if job is None:
            if once:
                return done
            time.sleep(POLL_SECONDS)
            continue
        try:
            run(job)
        except BaseException:
            CalculImplantation.objects.filter(pk=job.pk, statut=CalculImplantation.EN_COURS).update(
                statut=CalculImplantation.EN_ATTENTE, etape="Interrompu : repris au prochain démarrage", etapes_faites=0
            )
            raise
        done += 1
