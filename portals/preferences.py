"""What each person is sent besides the inbox, chosen by themselves (it used to be
only in the admin): email and text messages per category; safety messages are always
sent. A page of one's own: nobody else's preferences can be reached or written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from notifications.services import only_to_act_on, preferences_of, preferences_update


class PreferencesForm(forms.Form):
    """One email and one text-message box per choosable category; nothing else posted
    (a user id, a safety category) is read."""

    only_to_act_on = forms.BooleanField(
        required=False,
        label=_("Only what I must act on"),
        help_text=_(
            "Physicians: a question to answer, an undertaking to sign. Patients: documents "
            "to send, a delivery to confirm. Coordinators: a request to verify. Safety "
            "messages and reminders are always sent."
        ),
    )

    def __init__(self, *args, choices, only_to_act_on: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.choices = choices
        self.fields["only_to_act_on"].initial = only_to_act_on
        for choice in choices:
            self.fields[f"{choice.category}-email"] = forms.BooleanField(
                required=False, initial=choice.email, label=_("Email")
            )
            self.fields[f"{choice.category}-sms"] = forms.BooleanField(
                required=False, initial=choice.sms, label=_("Text message")
            )

    def rows(self):
        return [
            (choice, self[f"{choice.category}-email"], self[f"{choice.category}-sms"])
            for choice in self.choices
        ]

    def wanted(self) -> dict[str, dict[str, bool]]:
        data = self.cleaned_data
        return {
            choice.category: {
                "email": data[f"{choice.category}-email"],
                "sms": data[f"{choice.category}-sms"],
            }
            for choice in self.choices
        }


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(
        request.POST or None,
        choices=preferences_of(user=request.user),
        only_to_act_on=only_to_act_on(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        preferences_update(
            user=request.user,
            choices=form.wanted(),
            only_act_on=form.cleaned_data["only_to_act_on"],
        )
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("orders:notification-preferences")
    return render(request, "portals/preferences.html", {"form": form})
