"""Translations are checked (issue 12, item 5): everything a patient sees, receives or
downloads has its Hindi, none of it fuzzy, with the same placeholders as the English;
the catalogue holds every string the patient's files mark; it compiles."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
# The files whose strings reach a patient: the layout and sign-in pages, the tracker,
# the shared parts it includes, the patient's emails and invitation, the words of the
# states, papers and forms she reads, and the papers she downloads.
PATIENT_FACING = (
    "portals/templates/base.html",
    "portals/templates/includes/",
    "portals/templates/account/",
    "portals/templates/portals/patient/",
    "portals/templates/portals/_paper_to_sign.html",
    "portals/templates/portals/_payer_money.html",
    "portals/templates/portals/_preview.html",
    "portals/templates/portals/_inbox_count.html",
    "portals/templates/portals/_manifestation.html",
    "portals/patient/",
    "portals/forms.py",
    "documents/validation.py",
    "documents/signatures.py",
    "documents/generation/signing.py",
    "portals/third_party_words.py",
    "notifications/templates/notifications/base-email.html",
    "notifications/templates/notifications/inbox.html",
    "notifications/templates/notifications/message.html",
    "notifications/templates/notifications/step-patient-",
    "notifications/templates/notifications/reject-patient-",
    "notifications/templates/notifications/reentry_locked-account-",
    "notifications/alerts.py",
    "orders/templates/orders/email/invitation-",
    "orders/states.py",
    "orders/tracker.py",
    "orders/papers.py",
    "billing/calculation.py",
    "documents/templates/documents/base.html",
    "documents/templates/documents/_pack_patient_consent.html",
    "documents/templates/documents/patient_information.html",
    # The money papers she downloads when she or her family pays, and their words
    # recorded in billing (the payer's kind, the refund's method, each line's label).
    "documents/templates/documents/_money_parties.html",
    "documents/templates/documents/proforma_invoice.html",
    "documents/templates/documents/tax_invoice.html",
    "documents/templates/documents/credit_note.html",
    "documents/generation/money.py",
    "billing/models.py",
    # What the domain refuses her, in the words she reads on her page: a delivery
    # confirmation, a consent signature, an upload, a side-effect report, a quotation.
    "orders/errors.py",
    "orders/guards.py",
    "orders/services.py",
    "orders/adverse_events.py",
    "orders/money.py",
    "documents/services.py",
    "documents/views.py",
    "billing/services.py",
    "portals/payer.py",
    "portals/roles.py",
    # Her notification preferences, and the names of her identity document.
    "portals/preferences.py",
    "portals/templates/portals/preferences.html",
    "notifications/models.py",
    "orders/models.py",
    "orders/countries.py",
    # The API's refusals, which a signed-in patient's browser may read.
    "api/problems.py",
    "api/access.py",
    "api/views/misc.py",
    # The pages shown when the server fails, a request cannot be read (400), a page is
    # refused (403) or a form's security token no longer matches (the CSRF failure).
    "portals/templates/400.html",
    "portals/templates/403.html",
    "portals/templates/403_csrf.html",
    "portals/templates/404.html",
    "portals/templates/429.html",
    "portals/templates/500.html",
    "portals/templates/503.html",
    "portals/templates/errors/",
)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "npp" / "locale" / language / "LC_MESSAGES" / "django.po"))


def patient_facing(path: str) -> bool:
    return path.startswith(PATIENT_FACING)


def patient_files() -> list[Path]:
    files = []
    for prefix in PATIENT_FACING:
        found = (
            [p for p in ROOT.glob(prefix + "**/*") if p.is_file()] if prefix.endswith("/") else []
        )
        found += [p for p in ROOT.glob(prefix + "*") if p.is_file()]
        files += [p for p in found if p.suffix in (".py", ".html", ".txt")]
    return sorted(set(files))


def marked_strings(path: Path) -> set[tuple[str | None, str]]:
    """What `makemessages` would take from one file, as (context, msgid): templates
    through Django's templatize, then xgettext with Django's keywords. The context
    counts: "Total" on a money paper is not the portal's "Total"."""
    source = path.read_text()
    if path.suffix != ".py":
        source = templatize(source, origin=str(path))
    result = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--output=-",
            "--keyword=gettext_noop",
            "--keyword=gettext_lazy",
            "--keyword=ngettext_lazy:1,2",
            "--keyword=pgettext:1c,2",
            "--keyword=pgettext_lazy:1c,2",
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return {(entry.msgctxt, entry.msgid) for entry in polib.pofile(result.stdout) if entry.msgid}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_patient_facing_message_has_a_translation_that_is_not_fuzzy(language):
    untranslated = [
        entry.msgid
        for entry in catalogue(language)
        if not entry.obsolete
        and any(patient_facing(path) for path, _line in entry.occurrences)
        and (not entry.translated() or "fuzzy" in entry.flags)
    ]

    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_the_patients_files_mark_is_in_the_catalogue(language):
    """A string marked since the last `makemessages` fails here, not in front of a patient."""
    known = {(entry.msgctxt, entry.msgid) for entry in catalogue(language) if not entry.obsolete}
    files = patient_files()
    assert len(files) > 20

    missing = {
        f"{path.relative_to(ROOT)}: {msgid}" + (f" (context {context!r})" if context else "")
        for path in files
        for context, msgid in marked_strings(path) - known
    }

    assert missing == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_the_same_in_both_languages(language):
    different = []
    for entry in catalogue(language):
        if entry.obsolete or not entry.translated():
            continue
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                different.append((entry.msgid, text))

    assert different == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_compiles_with_its_formats_checked(language, tmp_path):
    po = ROOT / "npp" / "locale" / language / "LC_MESSAGES" / "django.po"

    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po)], check=True)


REFUSALS = (
    "orders/errors.py",
    "orders/guards.py",
    "orders/services.py",
    "documents/signatures.py",
    "documents/generation/signing.py",
    "portals/third_party_words.py",
    "portals/preferences.py",
    "portals/templates/portals/preferences.html",
    "portals/templates/500.html",
    "portals/templates/403_csrf.html",
    "portals/templates/account/password_reset.html",
    "portals/templates/account/email/unknown_account_message.txt",
)


@pytest.mark.parametrize("path", REFUSALS)
def test_a_refusal_without_hindi_or_fuzzy_is_caught(path):
    """The refusals a patient meets are in the checked set: blanking one of their
    entries, or marking one fuzzy, fails the completeness check."""
    po = catalogue("hi")
    entries = [e for e in po if e.translated() and any(p == path for p, _ in e.occurrences)]
    assert len(entries) >= 2
    missing, fuzzy = entries[0], entries[-1]
    missing.msgstr = ""
    fuzzy.flags.append("fuzzy")

    flagged = [
        e.msgid
        for e in po
        if any(patient_facing(p) for p, _ in e.occurrences)
        and (not e.translated() or "fuzzy" in e.flags)
    ]

    assert missing.msgid in flagged and fuzzy.msgid in flagged


def test_a_missing_translation_is_caught(tmp_path):
    """The check above is not vacuous: an entry of the tracker without Hindi fails it."""
    po = catalogue("hi")
    entry = next(e for e in po if any(p == "orders/tracker.py" for p, _ in e.occurrences))
    entry.msgstr = ""
    fuzzy = next(
        e
        for e in po
        if e is not entry and e.translated() and any(patient_facing(p) for p, _ in e.occurrences)
    )
    fuzzy.flags.append("fuzzy")

    flagged = [
        e.msgid
        for e in po
        if any(patient_facing(p) for p, _ in e.occurrences)
        and (not e.translated() or "fuzzy" in e.flags)
    ]

    assert entry.msgid in flagged and fuzzy.msgid in flagged
