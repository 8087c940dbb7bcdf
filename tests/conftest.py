"""Shared personas and factories for every test.

Personas: coordinator (Cora), physician (Dr Anil Rao) and another physician
(Dr Bela Shah), patient (Priya Menon) and another patient (Omar Khan), each with
their own login; the other patient is Dr Shah's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from documents.models import Document
from npp.accounts.models import Role, User
from orders.models import ImportCase, Pathway, Patient, Physician, Product
from orders.services import case_create
from portals import demo
from tests import migration_data

PASSWORD = "correct-horse-battery-staple"


def services_required() -> bool:
    return os.environ.get("NPP_REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a real service is not configured; fail instead under NPP_REQUIRE_SERVICES=1."""
    if condition:
        return
    if services_required():
        pytest.fail(f"NPP_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# A Redis cache (NPP_CACHE_URL) is shared by every test process of a run (pytest-xdist)
# and by the servers some tests start: each test process keeps its keys under a prefix
# of its own, and clears only those (a FLUSHDB would empty the others' sign-in counters
# in the middle of their tests).
_CACHE = settings.CACHES["default"]
if "RedisCache" in _CACHE["BACKEND"]:
    _CACHE["KEY_PREFIX"] = f"npp-test-{os.getpid()}"


def clear_cache() -> None:
    """Empty this test process's cache: its own keys on a shared Redis, the whole
    cache otherwise (the database cache is in this process's own test database)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not (isinstance(cache, RedisCache) and cache.key_prefix):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{cache.key_prefix}:*", count=1000):
        client.delete(key)


def broker_key(name: str) -> str:
    """The Redis key kombu uses for `name` in this test process (see below)."""
    return os.environ.get("NPP_REDIS_KEY_PREFIX", "") + name


@pytest.fixture(autouse=True, scope="session")
def _translations_compiled():
    """`make test` compiles the translations (Makefile, messages); a bare `pytest` run
    compiles what is missing or older than its .po, before any language is loaded."""
    from npp.accounts.languages import messages_compile

    messages_compile()


@pytest.fixture(autouse=True, scope="session")
def _tasks_stay_in_the_test_run():
    """Tests that really commit publish tasks on commit. On the embedded default they
    go to an in-memory broker, not to var/broker where `make run`'s worker would take
    them against the development database.

    A real broker (CELERY_BROKER_URL) is used, but every key this process and the
    workers it starts write there carries a prefix of this process's own: two pytest-xdist
    workers on one Redis database neither take nor redeliver each other's tasks (kombu
    keeps unacknowledged tasks in one hash per database), and the keys go at the end."""
    from npp.celery import app

    url = os.environ.get("CELERY_BROKER_URL")
    if not url:
        original = app.conf.broker_url
        app.conf.broker_url = "memory://"
        yield
        app.conf.broker_url = original
        return
    if not url.startswith(("redis://", "rediss://")):
        yield
        return
    prefix = f"npp-test-{os.getpid()}:"
    os.environ["NPP_REDIS_KEY_PREFIX"] = prefix  # the worker subprocesses read it
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "global_keyprefix": prefix,
    }
    app._pool = None  # connections made before now would not use the prefix
    app.amqp._producer_pool = None
    yield
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _fast_and_private(settings, tmp_path, monkeypatch):
    """A fast hasher, and documents stored in this test's own private folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "file_permissions_mode": 0o600},
        },
    }
    # The FileField resolved its storage when the model loaded: point it here too.
    storage = FileSystemStorage(location=location, file_permissions_mode=0o600)
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", storage)


# Coordinators must sign in with an authenticator app (npp.accounts.middleware): the
# personas have set theirs up with this secret (base32), so tests can compute codes.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(email: str, full_name: str, role: Role) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=full_name, role=role)
    if role == Role.COORDINATOR:
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def coordinator(db) -> User:
    return make_user("cora@npp.example", "Cora Coordinator", Role.COORDINATOR)


@pytest.fixture
def other_coordinator(db) -> User:
    return make_user("colin@npp.example", "Colin Coordinator", Role.COORDINATOR)


def make_physician(email: str, name: str, registration: str) -> Physician:
    user = make_user(email, f"Dr {name}", Role.PHYSICIAN)
    return Physician.objects.create(
        user=user,
        full_name=name,
        registration_number=registration,
        registration_council="NMC",
        specialty="Nephrology",
        hospital="City Hospital",
        email=email,
    )


@pytest.fixture
def physician(db) -> Physician:
    return make_physician("anil.rao@hospital.example", "Anil Rao", "NMC-123456")


@pytest.fixture
def other_physician(db) -> Physician:
    return make_physician("bela.shah@hospital.example", "Bela Shah", "MMC-654321")


def make_patient(email: str | None, name: str) -> Patient:
    user = make_user(email, name, Role.PATIENT) if email else None
    patient = Patient(
        user=user,
        full_name=name,
        date_of_birth=dt.date(1990, 5, 17),
        sex=Patient.Sex.FEMALE,
        occupation="Teacher",
        address="12 MG Road",
        city="Bengaluru",
        state="Karnataka",
        postal_code="560001",
        phone="+91 98450 00000",
        email=email or "",
        id_document_type=Patient.IdentityDocument.AADHAAR,
    )
    patient.set_identity_number("1234 5678 9012")
    patient.save()
    return patient


@pytest.fixture
def patient(db) -> Patient:
    return make_patient("priya.menon@example.com", "Priya Menon")


@pytest.fixture
def other_patient(db) -> Patient:
    return make_patient("omar.khan@example.com", "Omar Khan")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test starts from what a transactional test's flush leaves, whatever ran
    before it: without the migrations' rows (tests/migration_data.py)."""
    with django_db_blocker.unblock():
        migration_data.capture_and_flush()


@pytest.fixture
def catalogue(db) -> None:
    """The rows the migrations load: the India pathway, Lupkynis, its manufacturer and
    the importing service. Ask for this (or `lupkynis`, `india`) instead of counting on
    them being there: a transactional test's flush removes them."""
    migration_data.restore()


@pytest.fixture(autouse=True)
def _in_the_default_language():
    """Every test starts in the default language. A request through the test client,
    a paper or a message in Hindi leaves Hindi active in its thread (LocaleMiddleware
    and translation.activate do not undo it), and the next test there read its
    refusals in Hindi: which test came first depended on the random order."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_serialized_rollback(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("serialized_rollback"):
        pytest.fail(
            "serialized_rollback fails after another transactional test's flush (the "
            "content types it restores collide with those the flush recreated): use "
            "django_db(transaction=True) and ask for `catalogue` instead"
        )


@pytest.fixture
def lupkynis(catalogue) -> Product:
    return Product.objects.get(brand_name="Lupkynis")


@pytest.fixture
def india(catalogue) -> Pathway:
    return Pathway.objects.get(code="IN-12A")


def new_case(
    *, physician: Physician, patient: Patient, product: Product, **overrides
) -> ImportCase:
    request = {
        "prescribed_dose": "23.7 mg (3 capsules) twice daily",
        "daily_units": 6,
        "quantity_packs": 3,
        "treatment_days": 90,
        "justification": (
            "Active lupus nephritis class IV despite mycophenolate and steroids; "
            "voclosporin is not approved in India."
        ),
        "port_of_entry": "INBLR4",
    }
    request.update(overrides)
    return case_create(
        actor=physician.user, patient=patient, physician=physician, product=product, **request
    )


@pytest.fixture
def draft_case(physician, patient, lupkynis) -> ImportCase:
    return new_case(physician=physician, patient=patient, product=lupkynis)


@pytest.fixture
def case_in(draft_case, coordinator):
    """case_in("awaiting_permit") walks the draft case there through real transitions."""

    def walk(state: str) -> ImportCase:
        return demo.walk_to(draft_case, state, coordinator=coordinator, signing_password=PASSWORD)

    return walk


@pytest.fixture
def other_case(other_physician, other_patient, lupkynis) -> ImportCase:
    return new_case(physician=other_physician, patient=other_patient, product=lupkynis)
