"""Reports of poorly covered zones, their measurements, and the candidate zones the
département's project team builds from them (docs/couverture.md)."""

from django.conf import settings
from django.db import models

from terrinum.accounts.models import Organisation

OPERATORS = [("OF", "Orange"), ("SFR0", "SFR"), ("BOUY", "Bouygues Telecom"), ("FREE", "Free Mobile")]
USAGES = [
    ("voix", "Appels et SMS"),
    ("internet", "Internet mobile"),
    ("interieur", "À l'intérieur des bâtiments"),
    ("exterieur", "À l'extérieur"),
]
CONCERNED = [
    ("habitations", "Habitations"),
    ("entreprises", "Entreprises"),
    ("exploitation_agricole", "Exploitation agricole"),
    ("erp", "Établissement recevant du public"),
    ("axe_routier", "Axe routier"),
]
FREQUENCIES = [("permanent", "En permanence"), ("frequent", "Souvent"), ("occasionnel", "Parfois")]
# In a report's check (Signalement.verification): an operator without any coverage file there.
NO_DATA = "pas de donnée"


class Zone(models.Model):
    """A candidate zone: nearby reports of one département grouped by the project team, its
    score (ranking) and the team's decision."""

    A_EXAMINER = "a_examiner"
    PROPOSE = "propose"
    ECARTE = "ecarte"
    DEJA_COUVERT = "deja_couvert"
    SITE_EN_COURS = "site_en_cours"
    DECISIONS = [
        (A_EXAMINER, "À examiner"),
        (PROPOSE, "Proposée à l'arrêté"),
        (ECARTE, "Écartée"),
        (DEJA_COUVERT, "Déjà couverte"),
        (SITE_EN_COURS, "Site existant ou en cours"),
    ]

    departement_code = models.CharField(max_length=3, db_index=True)
    numero = models.PositiveIntegerField()
    creee_le = models.DateTimeField(auto_now_add=True)
    distance_m = models.PositiveIntegerField()  # the grouping distance used
    score = models.FloatField()
    detail = models.JSONField(default=dict)  # the score's terms and what they rest on
    decision = models.CharField(max_length=16, choices=DECISIONS, default=A_EXAMINER)
    motif = models.TextField(blank=True)
    decide_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decide_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departement_code", "numero"], name="zone_couverture_numero")]
        ordering = ["departement_code", "-score", "numero"]

    def __str__(self) -> str:
        return f"Zone {self.numero} ({self.departement_code})"


class Signalement(models.Model):
    """A zone where the mobile network fails, reported by a collectivité's élu or agent."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signalements_couverture")
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    commune_code = models.CharField(max_length=5, db_index=True)
    departement_code = models.CharField(max_length=3, db_index=True)
    longitude = models.FloatField(null=True, blank=True)  # WGS84; none when only a lieu-dit is given
    latitude = models.FloatField(null=True, blank=True)
    lieu_dit = models.CharField(max_length=200, blank=True)
    operateurs = models.JSONField(default=list)
    usages = models.JSONField(default=list)
    frequence = models.CharField(max_length=12, choices=FREQUENCIES)
    concernes = models.JSONField(default=list)
    personnes = models.PositiveIntegerField(null=True, blank=True)  # as estimated by the reporter
    description = models.TextField(blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)
    verification = models.JSONField(null=True, blank=True)  # the check against the data, with their versions
    verifie_le = models.DateTimeField(null=True, blank=True)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="signalements")

    class Meta:
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"Signalement {self.pk} ({self.commune_code})"

    @property
    def statut(self) -> str:
        """What the reporter follows: « Reçu » until grouped, then the zone's decision."""
        if self.zone is None:
            return "Reçu, pas encore examiné"
        return self.zone.get_decision_display()


class Mesure(models.Model):
    """One line of a measurement file attached to a report (position, operator, technology,
    downlink speed)."""

    signalement = models.ForeignKey(Signalement, on_delete=models.CASCADE, related_name="mesures")
    ligne = models.PositiveIntegerField()
    longitude = models.FloatField()
    latitude = models.FloatField()
    operateur = models.CharField(max_length=8, blank=True)
    techno = models.CharField(max_length=8, blank=True)
    debit_descendant = models.FloatField(null=True, blank=True)  # Mbit/s

    class Meta:
        ordering = ["ligne"]
