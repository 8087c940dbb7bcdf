"""The queue's search term never travels in a URL: it names patients, and URLs land in
the access logs of gunicorn, the reverse proxy and the load balancer, and in the
browser's history. The filter form is posted; the term is kept in the coordinator's
session under a random token, and the page is redirected to a URL holding only the
token and the other filters (post-redirect-get). The links the page draws (next
page, "assign to me" and back) carry the token, and it means nothing elsewhere."""

from __future__ import annotations

import secrets

from django.http import HttpRequest, QueryDict

SESSION_KEY = "queue_searches"
PARAMETER = "search"
TERM = "q"
KEPT = 20  # searches remembered per session; older tokens show the whole queue


def search_remember(request: HttpRequest, term: str) -> str:
    """Keep `term` in the session and return the token that stands for it in URLs."""
    searches = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(6)
    searches[token] = term
    request.session[SESSION_KEY] = dict(list(searches.items())[-KEPT:])
    return token


def filters_with_search(request: HttpRequest) -> QueryDict:
    """The queue's filters from the URL, with the term its token stands for (a term
    typed into the URL itself is ignored: the page never puts one there)."""
    data = request.GET.copy()
    data.pop(TERM, None)
    token = data.get(PARAMETER, "")
    term = request.session.get(SESSION_KEY, {}).get(token) if token else None
    if term:
        data[TERM] = term
    return data


def redirect_query(posted: QueryDict, term: str, request: HttpRequest) -> str:
    """The URL query after a posted filter form: its filters, and a token for the term."""
    params = QueryDict(mutable=True)
    for name, values in posted.lists():
        if name in (TERM, PARAMETER, "csrfmiddlewaretoken"):
            continue
        kept = [value for value in values if value]
        if kept:
            params.setlist(name, kept)
    if term:
        params[PARAMETER] = search_remember(request, term)
    return params.urlencode()
