"""Pages of the coverage reports (included at the site root by terrinum.web.urls)."""

from django.urls import path, re_path

from terrinum.apps.signalements import views

urlpatterns = [
    path("couverture/", views.home, name="couverture"),
    re_path(r"^couverture/(?P<organisation_pk>[0-9]+)/signaler/(?P<code>[0-9AB]{5})/$", views.report, name="couverture-signaler"),
    path("couverture/signalements/<int:pk>/", views.detail, name="couverture-signalement"),
    path("couverture/france/", views.france, name="couverture-france"),
    path("couverture/zones/photos/<int:pk>", views.photo, name="couverture-photo"),
    re_path(r"^couverture/departements/(?P<code>[0-9AB]{2,3})/$", views.departement, name="couverture-departement"),
    re_path(r"^couverture/departements/(?P<code>[0-9AB]{2,3})/zones\.(?P<fmt>csv|ods|geojson)$", views.export, name="couverture-export"),
]
