"""How much a request may send, and who may send a body at all.

Every body is capped by route: small for JSON and forms, larger only for the authenticated
routes that carry lists of persons or an uploaded file. Anonymous callers may send a body to
the log-in form only, and it is tiny. A body must arrive within the body timeout, plus time at
a modest rate for the large routes, so a slow sender cannot keep a request open for long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hogo.api.routers.inventory import MAX_UPLOAD

KiB = 1024
MiB = 1024 * KiB
#: JSON and form bodies that carry no list of persons.
DEFAULT_BODY_LIMIT = 1 * MiB
#: The log-in form: a user name, a password of at most 1024 characters, a token, a path.
LOGIN_BODY_LIMIT = 16 * KiB
#: The consent notice's calls: a language and flag, or up to 64 choices.
EMBED_BODY_LIMIT = 16 * KiB
#: The privacy center's forms: a token, a choice with a guardian's name, a code.
PRIVACY_BODY_LIMIT = 16 * KiB
#: The privacy center's request form: up to 4000 characters of the person's own words (12,000
#: bytes of UTF-8, three times that form-encoded) with up to 200 purposes ticked.
PRIVACY_REQUEST_BODY_LIMIT = 64 * KiB
#: Bodies beyond DEFAULT_BODY_LIMIT get this much more time per byte (256 KiB/s).
MIN_UPLOAD_RATE = 256 * KiB


@dataclass(frozen=True)
class BodyRule:
    method: str
    path: re.Pattern[str]
    limit: int
    anonymous: bool = False


RULES: tuple[BodyRule, ...] = (
    BodyRule("POST", re.compile(r"/login"), LOGIN_BODY_LIMIT, anonymous=True),
    # The consent notice's calls carry a member site's token or hogo's ticket, which the route
    # itself verifies (hogo.services.sites); the body is a few choices.
    BodyRule(
        "POST", re.compile(r"/api/v1/embed/(notice|choices|dismissed)"), EMBED_BODY_LIMIT, anonymous=True
    ),
    # The privacy center's forms used before a session exists (a link's token, a member number
    # and address, a code): they check their own token; everything else there needs the
    # person's session (hogo.web.privacy_session).
    BodyRule("POST", re.compile(r"/privacy/(enter|code|code/verify)"), PRIVACY_BODY_LIMIT, anonymous=True),
    BodyRule("POST", re.compile(r"/privacy/requests"), PRIVACY_REQUEST_BODY_LIMIT),
    BodyRule("POST", re.compile(r"/privacy/.+"), PRIVACY_BODY_LIMIT),
    # Up to 100,000 person ids (incidents, 法30条 records received) and the inventory file.
    BodyRule("POST", re.compile(r"/api/v1/incidents"), 16 * MiB),
    BodyRule("POST", re.compile(r"/api/v1/provisions/received"), 16 * MiB),
    BodyRule("POST", re.compile(r"/api/v1/inventory/import"), MAX_UPLOAD + 1 * MiB),
    # Console forms: the new-incident form's person list, the report items' nine long texts.
    BodyRule("POST", re.compile(r"/incidents"), 8 * MiB),
    BodyRule("POST", re.compile(r"/incidents/[^/]+/details"), 4 * MiB),
)


def rule_for(method: str, path: str) -> BodyRule | None:
    for rule in RULES:
        if rule.method == method and rule.path.fullmatch(path):
            return rule
    return None


def body_limit(method: str, path: str) -> int:
    rule = rule_for(method, path)
    return rule.limit if rule else DEFAULT_BODY_LIMIT


def anonymous_body_allowed(method: str, path: str) -> bool:
    """Only the log-in forms (the console's, the privacy center's) and the embed calls that
    verify their own tokens take a body from someone without a session or API token."""
    rule = rule_for(method, path)
    return rule is not None and rule.anonymous


def body_deadline(base_seconds: float, expected_bytes: int) -> float:
    """Seconds a body of `expected_bytes` may take to arrive."""
    return base_seconds + max(0, expected_bytes - DEFAULT_BODY_LIMIT) / MIN_UPLOAD_RATE
