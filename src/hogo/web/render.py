"""Rendering a page: the shared frame (user, language, navigation, CSRF) plus the page's context.

Templates receive exactly two names, `frame` and `page`; `page` is the typed dataclass of the
view, which the contract tests inspect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.display import country_name, pick
from hogo.http.deps import get_settings
from hogo.web import dates
from hogo.web.i18n import LANGS, translator
from hogo.web.privacy_session import PATH as PRIVACY_PATH
from hogo.web.session import LANG_COOKIE, ConsoleUser, set_cookie

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.globals["pick"] = pick


@dataclass(frozen=True)
class NavItem:
    href: str
    key: str
    current: bool


@dataclass(frozen=True)
class Frame:
    lang: str
    user_name: str | None
    role_label: str | None
    csrf_token: str
    nav: tuple[NavItem, ...]
    can_record: bool
    can_admin: bool
    switch_lang_href: str


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    saved = request.cookies.get(LANG_COOKIE)
    if saved in LANGS:
        return saved
    configured = get_settings(request).language
    return configured if configured in LANGS else "ja"


def _shown_address(request: Request) -> tuple[str, dict[str, str]]:
    """The address of the page the person is looking at, for the language switch: for a GET
    the same page (an empty path: the link is the query alone); a refused form is shown at the
    address it was posted to, which answers no GET, so there the page the form was on (this
    site's Referer), else the area's first page."""
    if request.method in ("GET", "HEAD"):
        # Query only: the link keeps the page's path, and a path that begins `//` (a request for
        # `//evil.example/…`) cannot make it a link to another site.
        return "", dict(request.query_params)
    came_from = urlsplit(request.headers.get("referer", ""))
    # One leading slash only: `//host` and `/\host` are links to another site in a browser.
    if came_from.netloc == request.url.netloc and re.match(r"/(?![/\\])", came_from.path):
        return came_from.path, dict(parse_qsl(came_from.query))
    return (PRIVACY_PATH if request.url.path.startswith(PRIVACY_PATH) else "/"), {}


def frame(request: Request, user: ConsoleUser | None, csrf_token: str = "") -> Frame:
    lang = language(request)
    items: list[tuple[str, str]] = []
    if user is not None:
        items = [("/", "nav.dashboard"), ("/policy", "nav.policy"), ("/subjects", "nav.subjects")]
        if user.can(Permission.record_consent):
            items.append(("/consents/new", "nav.record"))
        items.append(("/campaigns", "nav.campaigns"))
        items += [("/requests", "nav.requests")]
        items += [("/incidents", "nav.incidents"), ("/inventory", "nav.inventory")]
        items += [("/readiness", "nav.readiness"), ("/releases", "nav.releases")]
        items.append(("/profiles", "nav.profiles"))
        items.append(("/segments", "nav.segments"))
        items.append(("/provisions/received", "nav.received"))
        items.append(("/ledger", "nav.ledger"))
        if user.can(Permission.manage_users):
            items.append(("/admin", "nav.admin"))
    path = request.url.path
    shown_path, shown_query = _shown_address(request)
    query = {k: v for k, v in shown_query.items() if k != "lang"}
    query["lang"] = "en" if lang == "ja" else "ja"
    return Frame(
        lang=lang,
        user_name=user.principal.name if user else None,
        role_label=user.principal.role.text(lang) if user else None,
        csrf_token=user.csrf_token if user else csrf_token,
        nav=tuple(NavItem(h, k, path == h or (h != "/" and path.startswith(h))) for h, k in items),
        can_record=bool(user and user.can(Permission.record_consent)),
        can_admin=bool(user and user.can(Permission.manage_users)),
        switch_lang_href=shown_path + "?" + urlencode(query),
    )


def render(
    request: Request,
    template: str,
    page: Any,
    user: ConsoleUser | None,
    status_code: int = 200,
    csrf_token: str = "",
) -> Response:
    f = frame(request, user, csrf_token)
    context: dict[str, Any] = {
        "frame": f,
        "page": page,
        "t": translator(f.lang),
        "fmt_date": lambda d, era=False: dates.format_date(d, f.lang, era),
        "fmt_datetime": lambda d: dates.format_datetime(d, f.lang),
        "fmt_country": lambda code: country_name(code, f.lang),
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        set_cookie(request, response, LANG_COOKIE, f.lang, 365 * 24 * 3600)
    response.headers["Cache-Control"] = "no-store"
    return response
