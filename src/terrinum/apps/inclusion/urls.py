"""Pages of the places registry (included at the site root by terrinum.web.urls)."""

from django.urls import path

from terrinum.apps.inclusion import views

urlpatterns = [
    path("lieux/", views.finder, name="lieux"),
    path("lieux/export", views.export, name="lieux-export"),
    path("lieux/<int:pk>/", views.place, name="lieu"),
    path("lieux/<int:pk>/modifier", views.edit, name="lieu-modifier"),
    path("mes-lieux/", views.my_places, name="mes-lieux"),
]
