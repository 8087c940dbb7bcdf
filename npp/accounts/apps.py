from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "npp.accounts"
    label = "accounts"
    verbose_name = "Accounts"
