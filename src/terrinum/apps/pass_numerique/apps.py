from django.apps import AppConfig


class PassNumeriqueConfig(AppConfig):
    name = "terrinum.apps.pass_numerique"
    label = "pass_numerique"
    verbose_name = "Pass numérique"
    default_auto_field = "django.db.models.BigAutoField"
