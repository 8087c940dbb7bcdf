"""The API's readers (Swagger UI, Redoc) render in a real browser from this server's
own static files, under the strict Content-Security-Policy, without one violation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def open_page(browser, live_server, path: str):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.goto(path)
    return context, page, problems, outside


def test_swagger_ui_renders_the_schema_under_the_strict_policy(browser, live_server):
    context, page, problems, outside = open_page(browser, live_server, "/api/docs/")
    try:
        page.wait_for_selector("text=Open a draft request", timeout=20_000)
        assert "NPP API" in page.inner_text(".swagger-ui .info")
    finally:
        context.close()
    refused = [p for p in problems if "Content Security Policy" in p and LOGO not in p]
    assert refused == [], refused
    assert outside == []


# Redoc's attribution logo sits on its CDN: the policy blocks it, which is the point.
LOGO = "https://cdn.redoc.ly/"


def test_redoc_renders_the_schema_under_the_strict_policy(browser, live_server):
    context, page, problems, outside = open_page(browser, live_server, "/api/redoc/")
    try:
        page.wait_for_selector("h1:has-text('NPP API')", timeout=20_000)
        page.wait_for_function(
            "document.body.innerText.includes('Open a draft request')", timeout=20_000
        )
        styled = page.evaluate("document.querySelectorAll('style[data-styled]').length")
        assert styled > 0  # Redoc's own styles applied (they carry the page's nonce)
    finally:
        context.close()
    refused = [p for p in problems if "Content Security Policy" in p and LOGO not in p]
    assert refused == [], refused
    # Asked for, and refused by the policy (the console says so above).
    assert [url for url in outside if not url.startswith(LOGO)] == []
