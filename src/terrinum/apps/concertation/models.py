"""The shared process around a territory's diagnostic (docs/diagnostic-partage.md): a
démarche led by an organisation, its participants (accounts, or external partners invited by
a link), their contributions per theme, the validated (frozen) version, and the action plan
with its financing."""

from __future__ import annotations

from django.db import models

from terrinum.accounts.models import Organisation

THEMES = [
    ("connectivite-fixe", "Connectivité fixe"),
    ("connectivite-mobile", "Connectivité mobile"),
    ("inclusion", "Usages et inclusion numérique"),
    ("services-en-ligne", "Services publics en ligne et démarches"),
    ("education", "Numérique éducatif"),
    ("rgpd-cyber", "RGPD et cybersécurité"),
    ("donnees", "Données et territoire intelligent"),
]
FINANCERS = ["État (ANCT)", "Banque des Territoires", "Région", "Département", "Fonds européens", "Fonds propres"]
REPORT_CATEGORIES = [
    ("zone-blanche", "Zone sans réseau mobile"),
    ("debit-fixe", "Débit fixe insuffisant"),
    ("lieu-manquant", "Pas de lieu d'accompagnement"),
    ("autre", "Autre"),
]


class Demarche(models.Model):
    PREPARATION, CONSULTATION, CONSOLIDATION, VALIDEE, ARCHIVEE = "preparation", "consultation", "consolidation", "validee", "archivee"
    STATES = [
        (PREPARATION, "En préparation"),
        (CONSULTATION, "Consultation ouverte"),
        (CONSOLIDATION, "Consolidation"),
        (VALIDEE, "Validée"),
        (ARCHIVEE, "Archivée"),
    ]

    DIAGNOSTIC, SCHEMA = "diagnostic", "schema-directeur"
    DELIVERABLES = [(DIAGNOSTIC, "Diagnostic partagé"), (SCHEMA, "Schéma directeur numérique")]
    SCHEMA_LEVELS = ("departement", "region", "epci")  # where a master plan is drawn (diagnostic.schema.LEVELS)

    porteur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="demarches")
    livrable = models.CharField(max_length=20, choices=DELIVERABLES, default=DIAGNOSTIC)
    parametres = models.JSONField(
        default=dict, blank=True, help_text="Schéma directeur : coûts unitaires, parts des financeurs, années cibles, variante sans fil"
    )
    territoire_niveau = models.CharField(max_length=16)
    territoire_code = models.CharField(max_length=9)
    titre = models.CharField(max_length=200)
    debut = models.DateField()
    fin = models.DateField()
    statut = models.CharField(max_length=14, choices=STATES, default=PREPARATION)
    themes = models.JSONField(default=list)
    publiee = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    precedente = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="suivantes")
    validee_le = models.DateTimeField(null=True, blank=True)
    gel = models.JSONField(null=True, blank=True, help_text="Le diagnostic validé : chiffres, pairs, priorités, consolidation, contributions")
    gel_pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.titre

    @property
    def organisation_id(self) -> int:  # what the policy judges: the lead
        return self.porteur_id

    def theme_labels(self) -> list[tuple[str, str]]:
        labels = dict(THEMES)
        return [(k, labels.get(k, k)) for k in self.themes]


class Participant(models.Model):
    """An organisation with accounts, or an external partner reached by an invitation link
    (only the SHA-256 of its token is stored; the link is shown or mailed once)."""

    demarche = models.ForeignKey(Demarche, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE)
    nom = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    empreinte = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expire_le = models.DateTimeField(null=True, blank=True)
    revoque = models.BooleanField(default=False)
    invite_le = models.DateTimeField(auto_now_add=True)
    relance_le = models.DateTimeField(null=True, blank=True)
    consent_nom = models.BooleanField(default=False, help_text="Accepte que son nom figure sur la page publique")

    class Meta:
        ordering = ["nom"]
        constraints = [models.UniqueConstraint(fields=["demarche", "organisation"], name="participant_organisation_unique")]

    def __str__(self) -> str:
        return self.nom


class Contribution(models.Model):
    BROUILLON, SOUMISE = "brouillon", "soumise"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contributions")
    theme = models.CharField(max_length=24)
    difficulte = models.PositiveSmallIntegerField(help_text="1 (aucune difficulté) à 5 (difficulté majeure)")
    difficultes = models.TextField(blank=True)
    priorites = models.TextField(blank=True)
    statut = models.CharField(max_length=10, default=BROUILLON)
    soumise_le = models.DateTimeField(null=True, blank=True)
    masquee = models.BooleanField(default=False)
    motif_masquage = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["theme", "id"]
        constraints = [models.UniqueConstraint(fields=["participant", "theme"], name="contribution_participant_theme")]

    @property
    def libelle_theme(self) -> str:
        return dict(THEMES).get(self.theme, self.theme)


class Signalement(models.Model):
    """A located report of a contribution: a commune (INSEE code) or a point."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="signalements")
    categorie = models.CharField(max_length=16, choices=REPORT_CATEGORIES)
    commune_code = models.CharField(max_length=5, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    description = models.CharField(max_length=300)


class Action(models.Model):
    """An action of the plan: linked to priorities, with its costs, financing and target."""

    demarche = models.ForeignKey(Demarche, on_delete=models.CASCADE, related_name="actions")
    intitule = models.CharField(max_length=300)
    priorites = models.JSONField(default=list, help_text="Priorités visées : clés de règles ou thèmes des contributions")
    porteur = models.CharField(max_length=200)
    investissement_centimes = models.BigIntegerField(default=0)
    fonctionnement_centimes = models.BigIntegerField(default=0)
    debut = models.DateField()
    fin = models.DateField()
    indicateur = models.CharField(max_length=40, blank=True, help_text="Clé d'un indicateur de tête du rapport")
    valeur_reference = models.FloatField(null=True, blank=True)
    valeur_cible = models.FloatField(null=True, blank=True)
    date_cible = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["debut", "id"]


class Financement(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="financements")
    financeur = models.CharField(max_length=120)
    annee = models.PositiveSmallIntegerField()
    montant_centimes = models.BigIntegerField()

    class Meta:
        ordering = ["annee", "financeur"]
