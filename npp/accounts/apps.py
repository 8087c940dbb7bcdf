from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "npp.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from npp import checks  # noqa: F401  (registers the deployment checks)
