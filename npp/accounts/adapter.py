"""How django-allauth signs people in here."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from npp.accounts.languages import in_language_of, language_of


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are opened by the service (coordinators, physicians) or by a
        # physician inviting their patient; nobody signs themself up.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # Failed attempts on an account are counted per address they come from, so
        # someone guessing at a colleague's password from one network cools off only
        # their own attempts, never the owner's from their own desk or phone.
        # Not per host name, as allauth counts them: the Host header is the client's
        # to write and any port passes ALLOWED_HOSTS, so each port would start a new
        # count (and two web servers on two ports would count apart).
        login = credentials.get("email", credentials.get("username", "")).lower()
        return f"{login}@{self.get_client_ip(request)}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # A password reset link goes to an account: written in its owner's language,
        # whatever the browser that asked for it. With no account (the address is
        # unknown), in the language of the page that asked.
        user = context.get("user")
        if user is None or not getattr(user, "pk", None):
            return super().send_mail(template_prefix, email, context)
        if context.get("password_reset_url"):
            # Opened on another device (her phone's mail app), the page it leads to
            # is in her language too, as an invitation's is.
            context = {
                **context,
                "password_reset_url": f"{context['password_reset_url']}?lang={language_of(user)}",
            }
        with in_language_of(user):
            return super().send_mail(template_prefix, email, context)

    def add_message(self, request: HttpRequest, level: int, *args: Any, **kwargs: Any) -> None:
        # "You are signed in": written after signing in, so in the account's language
        # (the page it shows on is), not the browser's that signed in.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return super().add_message(request, level, *args, **kwargs)
        with in_language_of(user):
            return super().add_message(request, level, *args, **kwargs)
