"""When a request fails on the server the visitor gets a designed page (the site's
layout, what happened in plain words, how to reach the service) and never the
exception: 500 for a failure, 503 when the database does not answer."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings

from tests.npp.conftest import PRODUCTION_SECRET_KEY
from tests.npp.servers import Browser, Silent, project_env, start_server

INTERNALS = ("Traceback", "RuntimeError", "internal detail", "npp_internal", 'File "')


def test_a_server_error_shows_the_designed_page_and_no_internals(client, db, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.npp.urls"
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html", "errors/page.html"]
    html = response.content.decode()
    assert "<h1>Something went wrong on our side</h1>" in html
    assert 'href="/static/css/npp.css"' in html  # the site's own layout
    assert django_settings.NPP_SERVICE_PHONE in html
    assert f'href="mailto:{django_settings.NPP_SERVICE_EMAIL}"' in html
    for internal in INTERNALS:
        assert internal not in html


@pytest.mark.slow
def test_a_page_waiting_for_a_database_that_does_not_answer_gets_the_unavailable_page(
    tmp_path,
):
    """Production settings, a database that accepts connections and never replies: the
    page gives up after the connect timeout and says so, instead of hanging."""
    database = Silent()
    env = project_env(
        tmp_path / "var",
        DEBUG="0",
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        NPP_HTTPS="0",
        DATABASE_URL=f"postgres://npp@127.0.0.1:{database.port}/npp",
        NPP_DB_CONNECT_TIMEOUT="2",
    )
    server = start_server(env, tmp_path / "web.log")
    try:
        assert Browser().request(server, "/healthz", method="HEAD").status == 405  # up
        started = time.monotonic()
        # A signed-in visitor: their session is read from the database.
        response = Browser().request(server, "/my/", Cookie="sessionid=a-session-key")
        elapsed = time.monotonic() - started
    finally:
        server.stop()
        database.close()

    assert response.status == 503
    assert "<h1>The service is temporarily unavailable</h1>" in response.body
    assert django_settings.NPP_SERVICE_PHONE in response.body
    for internal in (*INTERNALS, "OperationalError", "psycopg", "timeout expired"):
        assert internal not in response.body
    assert 2 <= elapsed < 10
    assert "Service Unavailable: /my/" in server.log_text()  # the traceback goes to the log
