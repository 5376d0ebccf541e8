from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "terrinum.accounts"
    label = "accounts"
    verbose_name = "Comptes et organisations"
    default_auto_field = "django.db.models.BigAutoField"
