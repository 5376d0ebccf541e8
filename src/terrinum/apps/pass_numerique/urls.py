"""Pages of the Pass numérique (included at the site root by terrinum.web.urls)."""

from django.urls import path, re_path

from terrinum.apps.pass_numerique import views

urlpatterns = [
    path("pass-numerique/", views.home, name="pass-numerique"),
    path("pass-numerique/releves/<int:pk>.csv", views.statement, name="pass-numerique-releve"),
    path("pass-numerique/releves/<int:pk>.pdf", views.statement, {"fmt": "pdf"}, name="pass-numerique-releve-pdf"),
    path("pass-numerique/pieces/<int:pk>", views.piece, name="pass-numerique-piece"),
    path("pass-numerique/factures/<int:pk>.pdf", views.invoice, name="pass-numerique-facture"),
    re_path(r"^pass-numerique/programmes/(?P<pk>[0-9]+)/rapport\.(?P<fmt>pdf|ods)$", views.campaign_report, name="pass-numerique-rapport"),
    re_path(
        r"^pass-numerique/paiements/(?P<financeur>[0-9]+)/(?P<mois>[0-9]{4}-[0-9]{2})\.(?P<fmt>xml|csv|ods)$", views.payment, name="pass-numerique-paiement"
    ),
    path("faire-le-point/", views.needs, name="besoins"),
]
