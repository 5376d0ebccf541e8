"""Pages of the RGPD registers (included at the site root by terrinum.web.urls)."""

from django.urls import path

from terrinum.apps.rgpd import views

urlpatterns = [
    path("rgpd/", views.home, name="rgpd"),
    path("rgpd/<int:pk>/", views.collectivite, name="rgpd-collectivite"),
    path("rgpd/<int:collectivite_pk>/activites/nouvelle/", views.activity, name="rgpd-activite-nouvelle"),
    path("rgpd/activites/<int:pk>/", views.activity, name="rgpd-activite"),
    path("rgpd/<int:pk>/registre.<str:fmt>", views.export, name="rgpd-export"),
    path("rgpd/violations/<int:pk>/notification.pdf", views.notification, name="rgpd-notification"),
    path("rgpd/aipd/<int:pk>/", views.analysis, name="rgpd-aipd"),
    path("rgpd/preuves/<int:pk>", views.proof, name="rgpd-preuve"),
    path("rgpd/referentiels/<int:pk>.json", views.referentiel, name="rgpd-referentiel"),
    path("rgpd/<int:pk>/rapport-annuel.<str:fmt>", views.annual_report, name="rgpd-rapport-annuel"),
    path("rgpd/structures/<int:pk>/rapport-annuel.<str:fmt>", views.structure_report, name="rgpd-rapport-structure"),
    path("rgpd/structures/<int:pk>/traitements-madis.csv", views.madis_export, name="rgpd-madis-export"),
    path("rgpd/aipd/<int:pk>/outil-pia.json", views.analysis_export, name="rgpd-aipd-export"),
    path("registres/<int:pk>/", views.public_register, name="registre-public"),
]
