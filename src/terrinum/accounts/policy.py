"""The one permission policy. Every view, API route, export and CLI action asks it; no app
keeps its own role system.

Objects are judged by two attributes, so that the policy does not import the apps that ask
it: `organisation_id` (the organisation that owns the object, may be None) and
`commune_code` (the current commune where the object is, may be None).

Rules:
- a superuser may do everything;
- an admin or gestionnaire of the owning organisation may change the object;
- an admin of a collectivité (or of a mutualisation structure, through the collectivités it
  serves) may change every object located in that collectivité's territory;
- only such an admin (or a superuser) moves an object to another commune or gives it a local
  label (`administers_location_of`): the owner's own accounts cannot;
- members with the "membre" role read only; anonymous visitors see only public objects;
- RGPD registers (`rgpd_collectivites`): a collectivité's own accounts read it (membre) or
  keep it (gestionnaire, admin); in a mutualisation structure, the shared DPO and the admin
  keep and verify every collectivité the structure serves, a référent keeps those assigned to
  him, a membre reads them all;
- coverage reports (`coverage_collectivites`, `coverage_departements`): a collectivité's
  accounts report zones in its communes and follow their own reports; the département's
  New Deal project team sees every report of the département, and its admins and
  gestionnaires group, rank and decide.
"""

from __future__ import annotations

from django.db.models import Q

from terrinum.accounts.models import Membership, Organisation
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.territories.models import Territory

EDIT_ROLES = (Membership.ADMIN, Membership.GESTIONNAIRE)


def _memberships(user, roles):
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user, role__in=roles).select_related("organisation")


def administered_territories(user) -> TerritorySet:
    """Every territory this user administers."""
    pairs = []
    for m in _memberships(user, (Membership.ADMIN,)):
        org = m.organisation
        orgs = [org]
        if org.type == Organisation.MUTUALISATION:
            orgs += list(org.collectivites_servies.all())
        pairs += [(o.territoire_niveau, o.territoire_code) for o in orgs]
    return TerritorySet.from_pairs(pairs)


def commune_codes_of(territories: TerritorySet) -> set[str]:
    """Current commune codes inside any of these territories."""
    communes = Territory.objects.filter(niveau="commune")
    if territories.is_everywhere:
        return set(communes.values_list("code", flat=True))
    conditions = territories.commune_conditions()
    if not conditions:
        return set()
    match = Q()
    for column, code in conditions:
        match |= Q(**{column: code})
    return set(communes.filter(match).values_list("code", flat=True))


def _in_administered_territory(user, commune_code: str | None) -> bool:
    if not commune_code:
        return False
    territories = administered_territories(user)
    if not territories:
        return False
    commune = Territory.objects.filter(niveau="commune", code=commune_code).only("code", "epci_code", "departement_code", "region_code").first()
    if commune is None:
        return False
    enclosing = {("pays", "FR")} | {(niveau, getattr(commune, column)) for niveau, column in COMMUNE_COLUMN.items()}
    return bool(territories.members & enclosing)


def can_change(user, obj) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    org_id = getattr(obj, "organisation_id", None)
    if org_id is not None and _memberships(user, EDIT_ROLES).filter(organisation_id=org_id).exists():
        return True
    return _in_administered_territory(user, getattr(obj, "commune_code", None))


def administers_location_of(user, obj) -> bool:
    """Whether this user may move the object to another commune or give it a local label:
    the platform's administrator, or an admin of the collectivité (or mutualisation
    structure) whose territory holds it. Owning the object is not enough: a place's own
    account edits its description, never its territory nor its labels."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or _in_administered_territory(user, getattr(obj, "commune_code", None))


def editable_filter(user) -> dict | None:
    """Keyword filters (OR-ed) selecting the objects this user may change, or None for all.
    Used to list "my places"."""
    if user.is_superuser:
        return None
    orgs = list(_memberships(user, EDIT_ROLES).values_list("organisation_id", flat=True))
    return {"organisation_id__in": orgs, "commune_code__in": sorted(commune_codes_of(administered_territories(user)))}


def acting_organisations(user, kind: str) -> set[int]:
    """The organisations of a type for which this user acts (admin or gestionnaire): the
    places it redeems for, the prescribers it hands carnets out for, the funders whose
    programmes it manages. Members with the "membre" role read only (`reading_organisations`)."""
    return set(_memberships(user, EDIT_ROLES).filter(organisation__type=kind).values_list("organisation_id", flat=True))


def reading_organisations(user, kind: str) -> set[int]:
    """The organisations of a type whose records this user may read (any role)."""
    roles = (Membership.ADMIN, Membership.GESTIONNAIRE, Membership.MEMBRE)
    return set(_memberships(user, roles).filter(organisation__type=kind).values_list("organisation_id", flat=True))


def acts_for(user, kind: str, organisation_id: int | None) -> bool:
    """Whether this user acts for that organisation of a type (admin or gestionnaire, or the
    platform's administrator): redeems for a place, hands carnets out for a prescriber,
    manages a funder's programmes."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or (organisation_id is not None and organisation_id in acting_organisations(user, kind))


def reads_for(user, kind: str, organisation_id: int | None) -> bool:
    """Whether this user may read that organisation's records (any role, or the platform's
    administrator)."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or (organisation_id is not None and organisation_id in reading_organisations(user, kind))


def acting_scope(user, kind: str) -> set[int] | None:
    """The organisations of a type this user acts for; None means all (the platform's
    administrator). For lists: `None` keeps every row."""
    return None if user.is_superuser else acting_organisations(user, kind)


def reading_scope(user, kind: str) -> set[int] | None:
    """The organisations of a type whose records this user reads; None means all."""
    return None if user.is_superuser else reading_organisations(user, kind)


RGPD_ACTIONS = ("lire", "modifier", "verifier")


def rgpd_collectivites(user, action: str) -> set[int] | None:
    """The organisations (collectivités) whose RGPD registers this user may read, keep
    (`modifier`) or verify (`verifier`, the DPO's status); None means all (superuser)."""
    if action not in RGPD_ACTIONS:
        raise ValueError(action)
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return None
    found: set[int] = set()
    for m in Membership.objects.filter(user=user).select_related("organisation"):
        org = m.organisation
        if org.type == Organisation.COLLECTIVITE:
            if action == "lire" or (action == "modifier" and m.role in EDIT_ROLES):
                found.add(org.pk)
        elif org.type == Organisation.MUTUALISATION:
            served = set(org.collectivites_servies.values_list("pk", flat=True))
            if m.role in (Membership.DPO, Membership.ADMIN):
                found |= served
            elif m.role == Membership.REFERENT and action != "verifier":
                found |= served & set(m.collectivites_assignees.values_list("pk", flat=True))
            elif action == "lire":
                found |= served
    return found


def may_rgpd(user, obj, action: str) -> bool:
    """Whether `user` may `action` this object of a register (judged by its organisation_id)."""
    allowed = rgpd_collectivites(user, action)
    return allowed is None or getattr(obj, "organisation_id", None) in allowed


COVERAGE_ACTIONS = ("lire", "decider")


def coverage_collectivites(user) -> set[int] | None:
    """The collectivités for which this user reports poorly covered zones and whose reports
    he follows: any role in the collectivité (an élu or an agent; docs/couverture.md). None
    means all (superuser)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return None
    roles = (Membership.ADMIN, Membership.GESTIONNAIRE, Membership.MEMBRE)
    return set(_memberships(user, roles).filter(organisation__type=Organisation.COLLECTIVITE).values_list("organisation_id", flat=True))


def coverage_departements(user, action: str) -> set[str] | None:
    """The départements whose reports this user sees (`lire`: any role in their New Deal
    project team) or ranks and decides on (`decider`: admin or gestionnaire of the team).
    None means all (superuser)."""
    if action not in COVERAGE_ACTIONS:
        raise ValueError(action)
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return None
    roles = EDIT_ROLES if action == "decider" else (Membership.ADMIN, Membership.GESTIONNAIRE, Membership.MEMBRE)
    teams = _memberships(user, roles).filter(organisation__type=Organisation.EQUIPE_PROJET, organisation__territoire_niveau="departement")
    return set(teams.values_list("organisation__territoire_code", flat=True))


def may_see_report(user, report) -> bool:
    """A report is seen by its collectivité's accounts and by its département's project team
    (judged by `organisation_id` and `departement_code`)."""
    collectivites = coverage_collectivites(user)
    if collectivites is None or report.organisation_id in collectivites:
        return True
    return report.departement_code in coverage_departements(user, "lire")
