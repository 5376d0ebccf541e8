from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "terrinum.planning"
    label = "planning"
    verbose_name = "Implantation de nouveaux lieux"
    default_auto_field = "django.db.models.BigAutoField"
