"""Who may see personal data is on the record: user and token changes are ledger entries."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from hogo.auth.roles import Role
from hogo.services import auth, ledger
from hogo.store.database import write_scope


def test_user_and_token_changes_are_ledger_entries_without_names_or_secrets(store: Engine) -> None:
    with write_scope(store) as s:
        user = auth.create_user(s, "sato.hanako", "correct horse battery", Role.privacy_officer)
        auth.set_active(s, user.id, False)
        auth.set_active(s, user.id, False)  # no change, no entry
        auth.set_active(s, user.id, True)
        token, info = auth.create_token(s, "nightly export", Role.auditor, created_by=user.id)
        auth.revoke_token(s, info.id)
        auth.revoke_token(s, info.id)  # already revoked, no entry
    with write_scope(store) as s:
        entries = [e for e in ledger.iter_rows(s) if e[1] == "access"]
        assert [(e[2], json.loads(e[4])["change"]) for e in entries] == [
            (f"user:{user.id}", "user_created"),
            (f"user:{user.id}", "user_deactivated"),
            (f"user:{user.id}", "user_activated"),
            (f"token:{info.id}", "token_created"),
            (f"token:{info.id}", "token_revoked"),
        ]
        text = " ".join(str(e) for e in entries)
        for secret in ("sato.hanako", "correct horse", token, "nightly export"):
            assert secret not in text
        assert ledger.verify_ledger(s).ok
