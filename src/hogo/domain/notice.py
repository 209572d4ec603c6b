"""Consent notices rendered from the policy, and the evidence a recorded choice keeps of them.

A notice is derived deterministically from a policy revision, the purpose and the language, so
an auditor who has the revision can render it again and compare its SHA-256 with the one in a
consent event's evidence. Each purpose gets its own section and its own digest: a choice about
one purpose is evidence of exactly what the person was shown about that purpose (its title,
data items, recipients with their countries, and for a recipient abroad the 法28条2項
information), plus the heading every section shares.

The evidence travels in the consent event's `evidence` text (sealed in the ledger with the
event) as one line, `hogo-notice/1;v=…;sha256=…;…`, which `parse_evidence` reads back.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from hogo.domain import display
from hogo.domain.ledger import canonical, canonical_sha256
from hogo.domain.model import Frozen
from hogo.domain.policy import ExternalTransmission, Policy, Purpose, Recipient, Relationship

Language = Literal["ja", "en"]
LANGUAGES: tuple[Language, ...] = ("ja", "en")
EVIDENCE_PREFIX = "hogo-notice/1"


_TEXTS: dict[Language, dict[str, str]] = {
    "ja": {
        "heading": "個人情報の取扱いについての確認",
        "lead": "{org}は、次の目的での個人情報の取扱いについて、あなたの同意をお願いしています。"
        "目的ごとに選ぶことができます。同意しなくても会員サービスはそのままご利用いただけます。",
        "data": "提供・利用する情報",
        "recipients": "提供先",
        "foreign": "外国にある第三者への提供(個人情報保護法28条2項に基づく情報)",
        "regime": "当該国の個人情報保護制度",
        "measures": "提供先が講ずる措置",
        "undeclared": "(ポリシーに記載がありません)",
    },
    "en": {
        "heading": "About how your personal information is handled",
        "lead": "{org} asks for your consent to handle your personal information for the purposes "
        "below. You can choose per purpose; member services stay available whatever you choose.",
        "data": "Information used or provided",
        "recipients": "Recipients",
        "foreign": "Provision to a third party abroad (information under APPI Article 28(2))",
        "regime": "The country's system for protecting personal information",
        "measures": "Measures the recipient takes",
        "undeclared": "(not declared in the policy)",
    },
}

_RELATIONSHIP: dict[Relationship, tuple[str, str]] = {
    Relationship.third_party: ("第三者提供", "third party"),
    Relationship.outsourcee: ("委託先", "outsourcee"),
    Relationship.successor: ("事業承継", "successor"),
    Relationship.joint_use: ("共同利用", "joint use"),
}


class NoticeRecipient(Frozen):
    id: str
    name: str
    relationship: str
    country: str
    country_name: str
    #: 法28条: consent to this transfer abroad needs the information below first.
    foreign_transfer: bool
    regime: str = ""
    measures: str = ""
    source_url: str = ""


class NoticeSection(Frozen):
    """What the person is shown about one purpose; its digest is the evidence of a choice."""

    purpose_id: str
    title: str
    description: str
    data_items: tuple[str, ...]
    recipients: tuple[NoticeRecipient, ...]
    #: Every recipient abroad that needs it has its 法28条2項 information declared.
    foreign_info_complete: bool
    sha256: str


class _Text(Frozen):
    """What every notice shows around its body, in one language, versioned with the policy."""

    version: str
    language: Language
    organization: str
    heading: str
    lead: str
    labels: dict[str, str]


class TransmissionNotice(_Text):
    """The 外部送信 notice (電気通信事業法27条の12): every tag or SDK the policy declares, with what
    it sends, to whom and for what. Versioned with the policy revision like the consent notice,
    and its SHA-256 lets an auditor check what a published copy said."""

    items: tuple[ExternalTransmission, ...]
    sha256: str


class Notice(_Text):
    sections: tuple[NoticeSection, ...]
    #: Shown beside the purposes when the policy declares tags that send information out.
    external_transmissions: TransmissionNotice | None = None


_TRANSMISSION_TEXTS: dict[Language, dict[str, str]] = {
    "ja": {
        "heading": "外部送信について",
        "lead": "{org}のウェブサイトでは、次のタグ・モジュールにより、利用者の端末から外部に"
        "情報が送信されます(電気通信事業法第27条の12に基づく公表)。",
        "tool": "タグ・モジュール",
        "recipient": "送信先",
        "information": "送信される情報",
        "purpose": "利用目的",
        "opt_out": "送信の停止(オプトアウト)",
        "necessary": "サービスの提供に必要な送信です。",
    },
    "en": {
        "heading": "Information this website sends to others",
        "lead": "On {org}'s website, the tags and modules below have your browser send information to "
        "other parties (published under Article 27-12 of the Telecommunications Business Act).",
        "tool": "Tag or module",
        "recipient": "Sent to",
        "information": "Information sent",
        "purpose": "Purpose",
        "opt_out": "Stop the sending (opt out)",
        "necessary": "Needed to provide the service.",
    },
}


def render_transmissions(policy: Policy, policy_revision: int, lang: Language) -> TransmissionNotice:
    """The 外部送信 notice in this language, exactly as the public page and the component show it."""
    texts = _TRANSMISSION_TEXTS[lang]
    body: dict[str, object] = {
        "version": notice_version(policy_revision),
        "language": lang,
        "organization": policy.organization.name,
        "heading": texts["heading"],
        "lead": texts["lead"].format(org=policy.organization.name),
        "labels": {k: v for k, v in texts.items() if k not in ("heading", "lead")},
    }
    items = policy.external_transmissions
    digest = hashlib.sha256(
        canonical({**body, "items": [x.model_dump(mode="json") for x in items]})
    ).hexdigest()
    return TransmissionNotice.model_validate({**body, "items": items, "sha256": digest})


def notice_version(policy_revision: int) -> str:
    """A notice is versioned with the policy revision it is rendered from."""
    return f"policy-r{policy_revision}"


def _recipient(r: Recipient, lang: Language) -> NoticeRecipient:
    info = r.transfer_info if r.needs_foreign_transfer_consent else None
    return NoticeRecipient(
        id=r.id,
        name=r.name,
        relationship=_RELATIONSHIP[r.relationship][0 if lang == "ja" else 1],
        country=r.country,
        country_name=display.country_name(r.country, lang),
        foreign_transfer=r.needs_foreign_transfer_consent,
        regime=info.regime if info else "",
        measures=info.measures if info else "",
        source_url=info.source_url if info else "",
    )


def _section(
    policy: Policy, purpose: Purpose, version: str, lang: Language, shared: dict[str, object]
) -> NoticeSection:
    recipients = tuple(_recipient(r, lang) for rid in purpose.recipients if (r := policy.recipient(rid)))
    items = tuple(c.title or c.id for cid in purpose.data_categories if (c := policy.category(cid)))
    body: dict[str, object] = {
        "purpose_id": purpose.id,
        "title": purpose.title,
        "description": purpose.description,
        "data_items": list(items),
        "recipients": [x.model_dump(mode="json") for x in recipients],
    }
    digest = canonical_sha256({**shared, "section": body})
    return NoticeSection(
        purpose_id=purpose.id,
        title=purpose.title,
        description=purpose.description,
        data_items=items,
        recipients=recipients,
        foreign_info_complete=all(x.regime and x.measures for x in recipients if x.foreign_transfer),
        sha256=digest,
    )


def render_notice(
    policy: Policy, policy_revision: int, purpose_ids: tuple[str, ...], lang: Language
) -> Notice:
    """The notice for these purposes in this language, exactly as the component shows it.

    Purposes the policy does not know are left out (the caller asks only about known ones).
    """
    texts = _TEXTS[lang]
    version = notice_version(policy_revision)
    lead = texts["lead"].format(org=policy.organization.name)
    labels = {k: v for k, v in texts.items() if k not in ("heading", "lead")}
    shared: dict[str, object] = {
        "version": version,
        "language": lang,
        "organization": policy.organization.name,
        "heading": texts["heading"],
        "lead": lead,
        "labels": labels,
    }
    sections = tuple(
        _section(policy, p, version, lang, shared) for pid in purpose_ids if (p := policy.purpose(pid))
    )
    return Notice(
        version=version,
        language=lang,
        organization=policy.organization.name,
        heading=texts["heading"],
        lead=lead,
        labels=labels,
        sections=sections,
        external_transmissions=(
            render_transmissions(policy, policy_revision, lang) if policy.external_transmissions else None
        ),
    )


class NoticeEvidence(Frozen):
    """What a choice made through the notice component keeps as evidence (no personal data)."""

    notice_version: str
    sha256: str
    site_id: str
    origin: str
    language: Language
    user_agent_family: str
    gpc: bool
    campaign_id: str | None = None
    #: How the person was identified where the choice was made in the privacy center
    #: (`signed_link`, `email_code`); None for the notice component on a member site.
    identity_check: str | None = None

    def text(self) -> str:
        parts = [
            EVIDENCE_PREFIX,
            f"v={self.notice_version}",
            f"sha256={self.sha256}",
            f"site={self.site_id}",
            f"origin={self.origin}",
            f"lang={self.language}",
            f"ua={self.user_agent_family}",
            f"gpc={int(self.gpc)}",
        ]
        if self.campaign_id:
            parts.append(f"campaign={self.campaign_id}")
        if self.identity_check:
            parts.append(f"idv={self.identity_check}")
        return ";".join(parts)


_KEYS = {
    "v": "notice_version",
    "sha256": "sha256",
    "site": "site_id",
    "origin": "origin",
    "lang": "language",
    "ua": "user_agent_family",
    "gpc": "gpc",
    "campaign": "campaign_id",
    "idv": "identity_check",
}


def parse_evidence(text: str | None) -> NoticeEvidence | None:
    """The structured evidence of a notice choice, or None for evidence of another kind."""
    if not text or not text.startswith(EVIDENCE_PREFIX + ";"):
        return None
    fields: dict[str, object] = {}
    for part in text.split(";")[1:]:
        key, _, value = part.partition("=")
        if key in _KEYS:
            fields[_KEYS[key]] = value == "1" if key == "gpc" else value
    try:
        return NoticeEvidence.model_validate(fields)
    except ValueError:
        return None


def user_agent_family(user_agent: str) -> str:
    """The browser family only (Chrome, Firefox, Safari, Edge, other): enough to re-render what a
    person saw, never the full string (which narrows down who they are)."""
    ua = user_agent or ""
    for token, family in (
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ):
        if token in ua:
            return family
    return "other"
