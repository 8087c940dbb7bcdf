"""Words of other packages that patients read: django-allauth's forms (allauth has no
Hindi), Django's form errors and its month and day names (its Hindi spells दिसंबर
"दिसमबर", calls a required field "यह क्षेत्र अपेक्षित हैं" and an email address a
postal one). Listed here so that `makemessages` keeps them in our catalogue: Django
merges every catalogue into one per language, ours first, so our translation answers
theirs. And the catalogue's dosage forms and the seeded regulator, which her papers
name."""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

ALLAUTH_WORDS = (
    gettext_noop("Email"),
    gettext_noop("Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("You must type the same password each time."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("Forgot your password?"),
    # The sign-in lockout (ACCOUNT_RATE_LIMITS["login_failed"]).
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("Be patient, you are sending too many requests."),
    # The password change page, open to anyone signed in.
    gettext_noop("Current Password"),
    gettext_noop("Please type your current password."),
    # allauth's account pages a signed-in patient reaches only by typing their address:
    # her email addresses, confirming her password again, the verification email sent,
    # and the second factor's page as it first shows.
    gettext_noop("Email Addresses"),
    gettext_noop("The following email addresses are associated with your account:"),
    gettext_noop("Verified"),
    gettext_noop("Unverified"),
    gettext_noop("Primary"),
    gettext_noop("Make Primary"),
    gettext_noop("Re-send Verification"),
    gettext_noop("Do you really want to remove the selected email address?"),
    gettext_noop("Add Email Address"),
    gettext_noop("Add Email"),
    gettext_noop("Confirm Access"),
    gettext_noop("Please reauthenticate to safeguard your account."),
    gettext_noop("Enter your password:"),
    gettext_noop("Confirm"),
    gettext_noop("Alternative options"),
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        "We have sent an email to you for verification. Follow the link provided to "
        "finalize the signup process. If you do not see the verification email in your "
        "main inbox, check your spam folder. Please contact us if you do not receive the "
        "verification email within a few minutes."
    ),
    gettext_noop("Two-Factor Authentication"),
    gettext_noop("Authenticator App"),
    gettext_noop("An authenticator app is not active."),
    gettext_noop("Activate"),
    gettext_noop("Recovery Codes"),
    gettext_noop("No recovery codes set up."),
)

# django.forms: the refusals of the patient's forms (empty, a bad date or address, a
# file missing or empty, a value too long); Django's Hindi for them reads oddly
# ("निवेदित संचिका खाली है") or is missing (a value too long).
DJANGO_FORM_ERRORS = (
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid value."),
    gettext_noop("No file was submitted."),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("The submitted file is empty."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this filename has at most %(max)d character (it has %(length)d).",
        "Ensure this filename has at most %(max)d characters (it has %(length)d).",
        "max",
    ),
)

# django.contrib.auth.password_validation: the rules shown when choosing a password.
PASSWORD_RULES = (
    gettext_noop("Your password can’t be too similar to your other personal information."),  # noqa: RUF001 (Django's own apostrophe)
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("Your password can’t be a commonly used password."),  # noqa: RUF001 (Django's own apostrophe)
    gettext_noop("Your password can’t be entirely numeric."),  # noqa: RUF001 (Django's own apostrophe)
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
)

# django.utils.dates: the names in "3 December 2026" and "Thursday 3 December 2026".
DJANGO_DATE_WORDS = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
)

# orders.Pathway.regulator as the India pathway is seeded (orders migration 0003), which
# the patient's consent names; a regulator entered otherwise is printed as written.
REGULATORS = (gettext_noop("CDSCO (SUGAM portal)"),)

# orders.Product.dosage_form and its plural (documents.generation.formatting.plural).
DOSAGE_FORMS = (
    gettext_noop("capsule"),
    gettext_noop("capsules"),
    gettext_noop("tablet"),
    gettext_noop("tablets"),
)
