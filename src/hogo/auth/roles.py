"""Roles and the permissions they carry.

Permissions, not roles, are what routes ask for, so a new role never means editing every route.
The auditor reads everything an auditor must see (timelines, receipts, the ledger) and changes
nothing; the operator records consent but does not run the full ledger verification.
"""

from __future__ import annotations

from enum import StrEnum

from hogo.domain.display import Labelled


class Role(Labelled, StrEnum):
    admin = "admin"
    privacy_officer = "privacy_officer"
    operator = "operator"
    auditor = "auditor"


class Permission(StrEnum):
    read = "read"  # policy, dashboard, subjects, timelines, receipts, ledger status
    record_consent = "record_consent"  # consent events and persons (本人) registration
    verify_ledger = "verify_ledger"  # full hash-chain verification (reads every entry)
    manage_users = "manage_users"  # console users and API tokens
    personal_data = "personal_data"  # persons' contact details (an incident's notification list)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.privacy_officer: frozenset(
        {Permission.read, Permission.record_consent, Permission.verify_ledger, Permission.personal_data}
    ),
    Role.operator: frozenset({Permission.read, Permission.record_consent}),
    Role.auditor: frozenset({Permission.read, Permission.verify_ledger}),
}


# Roles from the fewest rights to the most. A new user or token gets the first unless told otherwise
# (least privilege): the auditor reads and changes nothing.
ROLES_BY_PRIVILEGE: tuple[Role, ...] = (Role.auditor, Role.operator, Role.privacy_officer, Role.admin)
LEAST_PRIVILEGED: Role = ROLES_BY_PRIVILEGE[0]


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
