"""GET the policy in force: purposes of use, terms versions (with what each added), recipients."""

from __future__ import annotations

from fastapi import APIRouter

from hogo.api.problems import responses
from hogo.api.schemas import PolicyOut
from hogo.http.deps import Reader, SessionDep
from hogo.services.coverage import terms_revisions
from hogo.services.policy import current_revision, require_policy

router = APIRouter(prefix="/policy", tags=["policy"])


@router.get("", operation_id="getPolicy", response_model=PolicyOut, responses=responses())
def get_policy(session: SessionDep, _: Reader) -> PolicyOut:
    """適用中のポリシー(利用目的・規約版・提供先・データ区分)/ the policy in force."""
    policy = require_policy(session)
    revision = current_revision(session)
    added = {r.version: r.added for r in terms_revisions(policy)}
    return PolicyOut.of(revision.revision if revision else 0, policy, added)
