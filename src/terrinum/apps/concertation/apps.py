from django.apps import AppConfig


class ConcertationConfig(AppConfig):
    name = "terrinum.apps.concertation"
    label = "concertation"
    verbose_name = "Diagnostic partagé (concertation)"
    default_auto_field = "django.db.models.BigAutoField"
