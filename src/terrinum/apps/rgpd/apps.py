from django.apps import AppConfig


class RgpdConfig(AppConfig):
    name = "terrinum.apps.rgpd"
    label = "rgpd"
    verbose_name = "RGPD mutualisé"
    default_auto_field = "django.db.models.BigAutoField"
