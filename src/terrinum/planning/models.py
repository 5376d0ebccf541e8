"""Siting jobs: the runs too large for a web request (a région, France), queued in the
database and run by `terrinum travaux` (planning.jobs). The table keeps the name it had
when the web layer held the model (migration planning 0001)."""

from django.conf import settings
from django.db import models


class CalculImplantation(models.Model):
    EN_ATTENTE, EN_COURS, TERMINE, ECHEC = "en_attente", "en_cours", "termine", "echec"
    STATUTS = [(EN_ATTENTE, "en attente"), (EN_COURS, "en cours"), (TERMINE, "terminé"), (ECHEC, "échec")]

    # Parameters, warehouse version and registry state: the same request on the same data is
    # the same job (asked again, it is not recomputed).
    cle = models.CharField(max_length=64, db_index=True)
    niveau = models.CharField(max_length=16)
    code = models.CharField(max_length=9)
    parametres = models.JSONField()
    demandeur = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    statut = models.CharField(max_length=12, choices=STATUTS, default=EN_ATTENTE)
    etape = models.CharField(max_length=200, blank=True)
    etapes_faites = models.PositiveSmallIntegerField(default=0)
    resultat = models.JSONField(null=True, blank=True)
    erreur = models.TextField(blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)
    debut = models.DateTimeField(null=True, blank=True)
    # Refreshed at each stage: a job "en cours" whose worker stopped is taken up again.
    battement = models.DateTimeField(null=True, blank=True)
    fin = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "web_calculimplantation"
        ordering = ["cree_le"]
        verbose_name = "calcul d'implantation"
        verbose_name_plural = "calculs d'implantation"

    def __str__(self) -> str:
        return f"{self.niveau} {self.code} ({self.get_statut_display()})"
