"""Account operations, each one transaction: what `terrinum compte` and the admin call."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from terrinum.accounts.models import Membership, Organisation
from terrinum.territories.helpers import TerritorySet


def save_account(
    identifiant: str,
    password: str,
    *,
    email: str = "",
    superuser: bool = False,
    organisation: str | None = None,
    organisation_type: str = Organisation.COLLECTIVITE,
    role: str = Membership.MEMBRE,
    territory: TerritorySet | None = None,
    then: Callable[[Organisation], None] | None = None,
):
    """Create or update a user, its organisation (created if needed, tied to `territory`)
    and its role there; `then(organisation)` runs in the same transaction (an app attaching
    its objects to the organisation). The password passes Django's validators (ValueError
    naming what is wrong otherwise). Returns (user, created)."""
    if organisation is None and not superuser:
        raise ValueError("--organisation est obligatoire (sauf --superutilisateur)")
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=identifiant, defaults={"email": email})
        try:
            validate_password(password, user)  # Django's validators, as on the web and in the admin
        except ValidationError as exc:
            raise ValueError("mot de passe refusé : " + " ".join(exc.messages)) from exc
        user.set_password(password)
        user.is_superuser = user.is_staff = superuser or user.is_superuser
        user.save()
        if organisation:
            org, _ = Organisation.objects.get_or_create(nom=organisation, type=organisation_type)
            if territory:
                org.territoire_niveau, org.territoire_code = territory.single()
                org.save()
            Membership.objects.update_or_create(user=user, organisation=org, defaults={"role": role})
            if then is not None:
                then(org)
    return user, created


def purge_login_logs(days: int) -> dict[str, int]:
    """Delete the login records (successes, failures, attempts) older than `days` days: the
    retention of docs/registre-traitements.md, enforced. Returns what was deleted, by kind."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone

    if days < 1:
        raise ValueError("--jours doit valoir au moins 1")
    cutoff = timezone.now() - dt.timedelta(days=days)
    with transaction.atomic():
        return {
            "connexions": AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
            "echecs": AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0],
            "tentatives": AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0],
        }


def issue_token(identifiant: str) -> str:
    """A new API token for an account (any previous one stops working); returned once,
    stored only as its SHA-256."""
    import hashlib
    import secrets

    from terrinum.accounts.models import ApiToken

    user = get_user_model().objects.filter(username=identifiant).first()
    if user is None:
        raise ValueError(f"aucun compte « {identifiant} »")
    token = "trn_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.update_or_create(user=user, defaults={"empreinte": hashlib.sha256(token.encode()).hexdigest(), "revoque": False})
    return token


def revoke_token(identifiant: str) -> bool:
    from terrinum.accounts.models import ApiToken

    return ApiToken.objects.filter(user__username=identifiant, revoque=False).update(revoque=True) > 0


def user_for_token(token: str):
    """The active account holding this token, or None."""
    import hashlib

    from terrinum.accounts.models import ApiToken

    found = ApiToken.objects.filter(empreinte=hashlib.sha256(token.encode()).hexdigest(), revoque=False, user__is_active=True).select_related("user").first()
    return found.user if found else None
