from django.apps import AppConfig


class SignalementsConfig(AppConfig):
    name = "terrinum.apps.signalements"
    label = "signalements"
    verbose_name = "Signalements de couverture mobile"
    default_auto_field = "django.db.models.BigAutoField"
