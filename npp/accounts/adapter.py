"""How django-allauth signs people in here."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


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
