"""Every text box of a console form says the longest entry its route takes (`maxlength`): a
longer one is refused before the view runs, as a bare 「入力内容に誤りがあります。」 page that keeps
nothing of what was typed, so the browser must stop the typing at the limit instead."""

from __future__ import annotations

import re
from datetime import datetime

from annotated_types import MaxLen
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.incidents.types import IncidentType
from hogo.services import incidents
from hogo.store.database import write_scope
from hogo.web.views import admin, consent, incident, incident_new, requests
from tests.api.env import Env, client, login

BOX = re.compile(r"<(input|textarea)\b([^>]*)>")
SKIP = re.compile(r'type="(hidden|checkbox|radio|datetime-local|date|search|submit)"')


VIEWS = (admin, consent, incident, incident_new, requests)


def _bounds(action: str) -> dict[str, int]:
    """The longest value the POST route at `action` takes for each form field."""
    for route in (r for view in VIEWS for r in view.router.routes):
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path_regex.fullmatch(action):
            return {
                f.alias: m.max_length
                for f in route.dependant.body_params
                for m in f.field_info.metadata
                if isinstance(m, MaxLen)
            }
    raise AssertionError(f"no POST route for {action}")


def _unbounded(c: TestClient, path: str) -> list[str]:
    """The text boxes on `path` without a `maxlength` within their route's bound."""
    html = c.get(path).text
    wrong = []
    for action, form in re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        boxes = [attrs for _tag, attrs in BOX.findall(form) if not SKIP.search(attrs)]
        bounds = _bounds(action) if boxes else {}
        for attrs in boxes:
            name = re.search(r'name="([^"]+)"', attrs)
            if name is None or name.group(1) not in bounds:
                continue
            limit = re.search(r'maxlength="(\d+)"', attrs)
            if limit is None or int(limit.group(1)) > bounds[name.group(1)]:
                wrong.append(f"{path} {action} {name.group(1)}")
    return wrong


def test_every_text_box_says_its_limit(env: Env) -> None:
    with write_scope(env.db) as s:
        at = datetime(2026, 4, 1, 9, 0, tzinfo=JST)
        incident_id = incidents.open_new(s, IncidentType.loss_theft, at, "USBメモリの紛失").id
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        pages = ["/consents/new", "/incidents/new", f"/incidents/{incident_id}", "/admin", "/requests"]
        wrong = [w for p in pages for w in _unbounded(c, p)]
        assert not wrong, "\n".join(wrong)
