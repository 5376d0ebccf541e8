from django.apps import AppConfig


class InclusionConfig(AppConfig):
    name = "terrinum.apps.inclusion"
    label = "inclusion"
    verbose_name = "Lieux d'inclusion numérique"
    default_auto_field = "django.db.models.BigAutoField"
