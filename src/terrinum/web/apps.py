from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "terrinum.web"
    label = "web"
    verbose_name = "Terrinum"
