"""The API tokens page, beside the Security page: make a token (shown once), see
each one's prefix, scopes, expiry and last use, revoke one."""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from npp.accounts.models import Role, TokenScope
from npp.accounts.tokens import token_create, token_revoke, tokens_of


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text=_("Where it will be used, e.g. “Hospital EHR”.")
    )
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[TokenScope.READ],
        help_text=_("Read lets it look; write lets it open, edit and move cases."),
    )
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=365, initial=90, label=_("Expires after (days)")
    )


def second_factor_passed(request: HttpRequest) -> bool:
    """This session was signed in with the authenticator app (allauth records each
    way its user proved who they are)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def _for_staff(request: HttpRequest) -> None:
    if request.user.role not in (Role.COORDINATOR, Role.PHYSICIAN):
        raise Http404("No such page.")


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    _for_staff(request)
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = token_create(
                user=request.user,
                second_factor_passed=second_factor_passed(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            form = TokenForm()
    return render(
        request,
        "portals/security/tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": tokens_of(request.user),
            "needs_second_factor": request.user.role == Role.COORDINATOR
            and not second_factor_passed(request),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    _for_staff(request)
    try:
        token = token_revoke(user=request.user, token_id=pk)
    except PermissionDenied:
        raise Http404("No such token.") from None
    messages.success(request, f"The token “{token.name}” ({token.prefix}…) is revoked.")
    return redirect("orders:api-tokens")
