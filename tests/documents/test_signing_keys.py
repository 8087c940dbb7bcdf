"""Signatures are sealed with signing keys of their own (NPP_SIGNING_KEYS), named on
each signature: an old key keeps verifying after a rotation, SECRET_KEY no longer
matters, and the signatures sealed before with the SECRET_KEY-derived key keep
verifying as "legacy"."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from documents.checks import signing_keys
from documents.models import DocumentKind, Signature, SignatureMeaning
from documents.services import document_upload
from documents.signatures import document_sign
from tests.conftest import PASSWORD
from tests.documents import files
from tests.npp.conftest import run_project  # noqa: F401  (a fixture)

KEY_2025 = "k2025-" + "a" * 40
KEY_2026 = "k2026-" + "b" * 40


@pytest.fixture
def undertaking(draft_case, physician):
    return document_upload(
        case=draft_case,
        kind=DocumentKind.PHYSICIAN_UNDERTAKING,
        content=files.pdf("I undertake"),
        filename="undertaking.pdf",
        actor=physician.user,
    )


def use_keys(settings, current: str, **keys: str) -> None:
    settings.NPP_SIGNING_KEYS = {"legacy": settings.SECRET_KEY, **keys}
    settings.NPP_SIGNING_KEY_ID = current


def sign(document, user) -> Signature:
    return document_sign(
        document=document,
        signer=user,
        password=PASSWORD,
        printed_name="Anil Rao",
        meaning=SignatureMeaning.AUTHORSHIP,
    )


def legacy_seal(signature: Signature, secret_key: str) -> str:
    """The seal as it was computed before signing keys: from SECRET_KEY."""
    message = "|".join(
        [
            str(signature.document_id),
            str(signature.document.case_id),
            str(signature.signer_id),
            signature.printed_name,
            signature.meaning,
            signature.signed_at.isoformat(),
            signature.content_sha256,
        ]
    ).encode()
    key = hashlib.sha256(b"npp-signature:" + secret_key.encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_a_signature_names_the_current_key_and_verifies_with_it(undertaking, physician, settings):
    use_keys(settings, "y2026", y2026=KEY_2026)

    signature = sign(undertaking, physician.user)

    assert Signature.objects.get(pk=signature.pk).key_id == "y2026"
    assert signature.verifies()


def test_an_old_key_keeps_verifying_after_a_rotation(undertaking, physician, settings):
    use_keys(settings, "y2025", y2025=KEY_2025)
    old = sign(undertaking, physician.user)

    use_keys(settings, "y2026", y2026=KEY_2026, y2025=KEY_2025)
    new = sign(undertaking, physician.user)

    assert (old.key_id, new.key_id) == ("y2025", "y2026")
    assert old.verifies() and new.verifies()
    use_keys(settings, "y2026", y2026=KEY_2026)  # the old key dropped
    assert not Signature.objects.get(pk=old.pk).verifies()
    assert Signature.objects.get(pk=new.pk).verifies()


def test_a_changed_secret_key_leaves_signatures_verifying(undertaking, physician, settings):
    use_keys(settings, "y2026", y2026=KEY_2026)
    signature = sign(undertaking, physician.user)

    settings.SECRET_KEY = "another-secret-key-after-a-restore-" + "z" * 30
    use_keys(settings, "y2026", y2026=KEY_2026)

    assert Signature.objects.get(pk=signature.pk).verifies()


def test_a_key_with_another_secret_under_the_same_id_does_not_verify(
    undertaking, physician, settings
):
    use_keys(settings, "y2026", y2026=KEY_2026)
    signature = sign(undertaking, physician.user)

    use_keys(settings, "y2026", y2026=KEY_2025)

    assert not Signature.objects.get(pk=signature.pk).verifies()


def test_a_legacy_signature_verifies_under_its_secret_key_and_after_it_changes_if_listed(
    undertaking, physician, settings
):
    original_secret = settings.SECRET_KEY
    use_keys(settings, "y2026", y2026=KEY_2026)
    signature = sign(undertaking, physician.user)
    Signature.objects.filter(pk=signature.pk).update(
        key_id="legacy", seal=legacy_seal(signature, original_secret)
    )

    assert Signature.objects.get(pk=signature.pk).verifies()

    settings.SECRET_KEY = "another-secret-key-after-a-restore-" + "z" * 30
    settings.NPP_SIGNING_KEYS = {"legacy": settings.SECRET_KEY, "y2026": KEY_2026}
    assert not Signature.objects.get(pk=signature.pk).verifies()
    settings.NPP_SIGNING_KEYS = {"legacy": original_secret, "y2026": KEY_2026}
    assert Signature.objects.get(pk=signature.pk).verifies()


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_the_legacy_key_on_every_signature_made_before(
    undertaking, physician, settings
):
    signature = sign(undertaking, physician.user)
    old_seal = legacy_seal(signature, settings.SECRET_KEY)
    executor = MigrationExecutor(connection)
    executor.migrate([("documents", "0003_signatures")])
    try:
        old_state = executor.loader.project_state([("documents", "0003_signatures")])
        OldSignature = old_state.apps.get_model("documents", "Signature")
        OldSignature.objects.filter(pk=signature.pk).update(seal=old_seal)
        assert OldSignature.objects.count() == 1
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = Signature.objects.get(pk=signature.pk)
    assert migrated.key_id == "legacy"
    assert migrated.seal == old_seal
    assert migrated.verifies()


# --- Settings and checks -----------------------------------------------------------------


def signing_settings(run_project, **env: str):  # noqa: F811
    code = (
        "import json, django\nfrom django.conf import settings\ndjango.setup()\n"
        "print(json.dumps([settings.NPP_SIGNING_KEY_ID, sorted(settings.NPP_SIGNING_KEYS)]))"
    )
    return run_project(["-c", code], **env)


def test_the_first_key_listed_is_the_current_one_and_legacy_is_always_known(run_project):  # noqa: F811
    result = signing_settings(run_project, NPP_SIGNING_KEYS=f"y2026={KEY_2026},y2025={KEY_2025}")

    assert result.returncode == 0, result.stderr
    current, ids = json.loads(result.stdout.strip().splitlines()[-1])
    assert current == "y2026"
    assert ids == ["legacy", "y2025", "y2026"]


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"NPP_SIGNING_KEYS": "no-secret-here"}, "NPP_SIGNING_KEYS must read id=secret"),
        ({"NPP_SIGNING_KEYS": f"y 2026={KEY_2026}"}, "NPP_SIGNING_KEYS must read id=secret"),
        (
            {"NPP_SIGNING_KEYS": f"y2026={KEY_2026}", "NPP_SIGNING_KEY_ID": "y2027"},
            "NPP_SIGNING_KEY_ID 'y2027' is not in NPP_SIGNING_KEYS",
        ),
    ],
)
def test_malformed_signing_keys_stop_the_process(run_project, env, complaint):  # noqa: F811
    result = signing_settings(run_project, **env)

    assert result.returncode != 0
    assert complaint in result.stderr


def test_the_deployment_check_asks_for_signing_keys_of_their_own(settings):
    use_keys(settings, "legacy")
    assert [message.id for message in signing_keys()] == ["documents.W001"]

    use_keys(settings, "y2026", y2026="short")
    assert [message.id for message in signing_keys()] == ["documents.E003"]

    use_keys(settings, "y2026", y2026=KEY_2026)
    assert signing_keys() == []


def test_signed_at_is_part_of_what_the_key_seals(undertaking, physician, settings):
    use_keys(settings, "y2026", y2026=KEY_2026)
    signature = sign(undertaking, physician.user)

    Signature.objects.filter(pk=signature.pk).update(signed_at=timezone.now())

    assert not Signature.objects.get(pk=signature.pk).verifies()
