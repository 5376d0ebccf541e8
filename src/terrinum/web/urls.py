from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from terrinum.web import partage, views
from terrinum.web.api import api

urlpatterns = [
    path("", views.home, name="accueil"),
    path("favicon.ico", RedirectView.as_view(url=static("terrinum/favicon.svg"), permanent=True)),
    path("recherche", views.search, name="recherche"),
    path("france/", views.france, name="france"),
    path("connectivite-fixe/", views.fixed_connectivity_overview, name="connectivite-fixe"),
    path("donnees/", views.downloads, name="donnees"),
    re_path(r"^donnees/(?P<table>[a-z-]+)-(?P<niveau>commune|epci|departement|region|pays)\.(?P<fmt>csv|parquet)$", views.download, name="donnee"),
    path("methodologie/<slug:name>", views.methodology, name="methodologie"),
    re_path(r"^territoires/(?P<niveau>commune|arrondissement|epci|departement|region|pays)/(?P<code>[0-9A-Za-z]{1,9})/$", views.territory, name="territoire"),
    re_path(r"^territoires/(?P<niveau>commune|epci|departement|region|pays)/(?P<code>[0-9A-Za-z]{1,9})/implantation/$", views.siting, name="implantation"),
    re_path(r"^territoires/commune/(?P<code>[0-9A-Za-z]{5})/immeubles-sans-tres-haut-debit\.csv$", views.left_behind_csv, name="immeubles-sans-thd"),
    re_path(r"^territoires/(?P<niveau>commune|epci|departement|region|pays)/(?P<code>[0-9A-Za-z]{1,9})/diagnostic/$", views.diagnostic_page, name="diagnostic"),
    re_path(r"^territoires/(?P<niveau>departement|region|epci)/(?P<code>[0-9A-Za-z]{1,9})/schema-directeur/$", views.master_plan, name="schema-directeur"),
    re_path(
        r"^territoires/(?P<niveau>commune|epci|departement|region|pays)/(?P<code>[0-9A-Za-z]{1,9})/diagnostic\.pdf$",
        views.diagnostic_pdf,
        name="diagnostic-pdf",
    ),
    path("", include("terrinum.apps.inclusion.urls")),
    path("", include("terrinum.apps.pass_numerique.urls")),
    path("", include("terrinum.apps.rgpd.urls")),
    path("", include("terrinum.apps.signalements.urls")),
    path("diagnostic-partage/", partage.home, name="partage"),
    path("diagnostic-partage/<int:pk>/", partage.demarche, name="partage-demarche"),
    path("diagnostic-partage/<int:pk>/diagnostic-valide.pdf", partage.pdf, name="partage-pdf"),
    path("diagnostic-partage/<int:pk>/plan.<str:fmt>", partage.plan_export, name="partage-plan"),
    path("diagnostics-partages/<int:pk>/", partage.public, name="partage-public"),
    re_path(r"^contribuer/(?P<token>[A-Za-z0-9_-]{20,64})/$", partage.contribute_by_link, name="contribuer"),
    path("connexion/", auth_views.LoginView.as_view(template_name="web/connexion.html"), name="connexion"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="deconnexion"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "terrinum.web.views.not_found"
