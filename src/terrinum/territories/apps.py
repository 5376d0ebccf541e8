from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "terrinum.territories"
    label = "territories"
    verbose_name = "Référentiel territorial"
    default_auto_field = "django.db.models.BigAutoField"
