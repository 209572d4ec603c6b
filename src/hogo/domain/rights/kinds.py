"""What a rights request is: its kind (with the article that gives the right), who asked, how
the person's identity was checked, how the request arrived, and the states a case passes.

Titles are in domain/titles.toml; the articles are those in force since April 2022.
"""

from __future__ import annotations

from enum import StrEnum

from hogo.domain.display import Labelled


class RequestKind(Labelled, StrEnum):
    #: 法32条2項: notification of the purposes of use of the person's retained personal data.
    purpose_notice = "purpose_notice"
    #: 法33条1項 (and 5項: the third-party provision records about the person).
    disclosure = "disclosure"
    #: 法34条: correction, addition or deletion (訂正等) of content that is untrue.
    correction = "correction"
    #: 法35条1項・5項: stopping use (利用の停止).
    stop_use = "stop_use"
    #: 法35条1項・5項: erasure (消去).
    erasure = "erasure"
    #: 法35条3項・5項: stopping provision to third parties (第三者への提供の停止).
    stop_provision = "stop_provision"


#: The provision that gives the person the right to ask.
KIND_ARTICLES: dict[RequestKind, str] = {
    RequestKind.purpose_notice: "法32条2項",
    RequestKind.disclosure: "法33条1項・5項",
    RequestKind.correction: "法34条1項",
    RequestKind.stop_use: "法35条1項・5項",
    RequestKind.erasure: "法35条1項・5項",
    RequestKind.stop_provision: "法35条3項・5項",
}

#: The provision that obliges the business to notify the person of the result.
ANSWER_ARTICLES: dict[RequestKind, str] = {
    RequestKind.purpose_notice: "法32条3項",
    RequestKind.disclosure: "法33条3項",
    RequestKind.correction: "法34条3項",
    RequestKind.stop_use: "法35条7項",
    RequestKind.erasure: "法35条7項",
    RequestKind.stop_provision: "法35条7項",
}

#: Kinds under 法35: carrying them out stops the person's data from being used or provided.
ARTICLE_35 = frozenset({RequestKind.stop_use, RequestKind.erasure, RequestKind.stop_provision})


class RequestClaim(Labelled, StrEnum):
    """Why the person asks to stop, erase or stop provision (法35条): the paragraph depends on it."""

    beyond_purpose = "beyond_purpose"  # 法18条 違反 (35条1項)
    improper_use = "improper_use"  # 法19条 違反 (35条1項)
    improper_acquisition = "improper_acquisition"  # 法20条 違反 (35条1項)
    provision_breach = "provision_breach"  # 法27条1項・28条 違反 (35条3項)
    not_needed = "not_needed"  # 利用する必要がなくなった (35条5項)
    breach = "breach"  # 法26条1項本文の事態が生じた (35条5項)
    harm = "harm"  # 権利又は正当な利益が害されるおそれ (35条5項)


CLAIM_ARTICLES: dict[RequestClaim, str] = {
    RequestClaim.beyond_purpose: "法35条1項(法18条)",
    RequestClaim.improper_use: "法35条1項(法19条)",
    RequestClaim.improper_acquisition: "法35条1項(法20条)",
    RequestClaim.provision_breach: "法35条3項(法27条1項・法28条)",
    RequestClaim.not_needed: "法35条5項",
    RequestClaim.breach: "法35条5項",
    RequestClaim.harm: "法35条5項",
}

#: The claims each 法35 kind may rest on (stopping provision rests on 35条3項, use on 35条1項).
CLAIMS: dict[RequestKind, frozenset[RequestClaim]] = {
    RequestKind.stop_use: frozenset(RequestClaim) - {RequestClaim.provision_breach},
    RequestKind.erasure: frozenset(RequestClaim) - {RequestClaim.provision_breach},
    RequestKind.stop_provision: frozenset(
        {RequestClaim.provision_breach, RequestClaim.not_needed, RequestClaim.breach, RequestClaim.harm}
    ),
}

PARAGRAPH_5 = frozenset({RequestClaim.not_needed, RequestClaim.breach, RequestClaim.harm})


class VerificationLevel(Labelled, StrEnum):
    """How the person's identity was confirmed (法33条・法37条; 通則編 3-8)."""

    email_code = "email_code"
    signed_link = "signed_link"
    officer_check = "officer_check"
    in_person_document = "in_person_document"


#: Weakest first: a one-time code proves control of the registered address only; a signed link
#: rides on the member site's own log-in; an officer's check and a document shown in person
#: are the business's own confirmation.
STRENGTH: dict[VerificationLevel, int] = {level: i for i, level in enumerate(VerificationLevel, 1)}


class RequestChannel(Labelled, StrEnum):
    """How the request reached the business (法37条1項: the business sets how requests are made)."""

    privacy_center = "privacy_center"
    api = "api"
    email = "email"
    post = "post"
    counter = "counter"
    phone = "phone"


class Requester(Labelled, StrEnum):
    """Who asks (法37条3項: a legal representative or an authorised agent may ask for the person)."""

    person = "person"
    legal_representative = "legal_representative"
    agent = "agent"


class DisclosureMethod(Labelled, StrEnum):
    """The method the person asks for (法33条1項: electronic records included)."""

    electronic = "electronic"
    paper = "paper"


class RequestState(Labelled, StrEnum):
    received = "received"
    identity_verified = "identity_verified"
    decided = "decided"
    carried_out = "carried_out"
    answered = "answered"


class RequestOutcome(Labelled, StrEnum):
    allowed = "allowed"
    partly = "partly"
    refused = "refused"


class RequestStepKind(Labelled, StrEnum):
    """What a step of a case records; every step is also appended to the ledger."""

    received = "received"
    identity_verified = "identity_verified"
    decided = "decided"
    carried_out = "carried_out"
    answered = "answered"
    extended = "extended"
