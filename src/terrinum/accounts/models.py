"""Organisations tied to the référentiel, and memberships giving users a role in them."""

from django.conf import settings
from django.db import models


class Organisation(models.Model):
    """A collectivité, a mutualisation structure, a lieu de médiation, a funder or a
    prescriber. Collectivités and structures point at their territory by (niveau, code)."""

    COLLECTIVITE = "collectivite"
    MUTUALISATION = "mutualisation"
    LIEU = "lieu"
    FINANCEUR = "financeur"
    PRESCRIPTEUR = "prescripteur"
    # New Deal mobile: the département's project team (département, préfecture, élus) that
    # ranks the poorly covered zones reported by the communes (docs/couverture.md).
    EQUIPE_PROJET = "equipe_projet"
    # Pass numérique: the operator a funder mandates for a programme (qualifies places, settles,
    # invoices), possibly for several funders (docs/pass-numerique.md, « Opérateur »).
    OPERATEUR = "operateur"
    KINDS = [
        (COLLECTIVITE, "Collectivité"),
        (MUTUALISATION, "Structure de mutualisation"),
        (LIEU, "Lieu de médiation numérique"),
        (FINANCEUR, "Commanditaire"),
        (PRESCRIPTEUR, "Prescripteur"),
        (EQUIPE_PROJET, "Équipe projet départementale (New Deal mobile)"),
        (OPERATEUR, "Opérateur du Pass numérique"),
    ]

    nom = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=KINDS)
    territoire_niveau = models.CharField(max_length=16, null=True, blank=True)
    territoire_code = models.CharField(max_length=9, null=True, blank=True)
    # A mutualisation structure acts for the collectivités it serves.
    collectivites_servies = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="structures")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "nom"], name="organisation_type_nom")]

    def __str__(self) -> str:
        return self.nom


class Membership(models.Model):
    ADMIN = "admin"
    GESTIONNAIRE = "gestionnaire"
    MEMBRE = "membre"
    # In a mutualisation structure: the shared DPO (every collectivité served), and a référent
    # for the collectivités assigned to him (docs/rgpd.md, "Rôles").
    DPO = "dpo"
    REFERENT = "referent"
    ROLES = [
        (ADMIN, "Administrateur"),
        (GESTIONNAIRE, "Gestionnaire"),
        (MEMBRE, "Membre (lecture)"),
        (DPO, "DPO mutualisé"),
        (REFERENT, "Référent multi-structures"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=ROLES)
    # A référent's collectivités, among those the structure serves.
    collectivites_assignees = models.ManyToManyField(Organisation, blank=True, related_name="referents")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_user_organisation")]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.role})"


class ApiToken(models.Model):
    """A per-user API token, stored as its SHA-256 (the token itself is shown once).
    `terrinum compte jeton` creates or replaces it; revoked, it opens nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jeton_api")
    empreinte = models.CharField(max_length=64, unique=True)
    cree_le = models.DateTimeField(auto_now_add=True)
    revoque = models.BooleanField(default=False)
