"""Pages of the Pass numérique (included at the site root by terrinum.web.urls)."""

from django.urls import path

from terrinum.apps.pass_numerique import views

urlpatterns = [
    path("pass-numerique/", views.home, name="pass-numerique"),
    path("pass-numerique/releves/<int:pk>.csv", views.statement, name="pass-numerique-releve"),
    path("pass-numerique/releves/<int:pk>.pdf", views.statement, {"fmt": "pdf"}, name="pass-numerique-releve-pdf"),
    path("faire-le-point/", views.needs, name="besoins"),
]
