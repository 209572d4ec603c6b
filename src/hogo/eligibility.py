"""Bulk eligibility: every person the decision engine allows, computed set-wise in a data engine.

The policy-level part comes from `hogo.domain.decision.assess_purpose` (the same object `decide` uses);
only the per-person part is SQL. Its semantics mirror `decide_assessed` step by step, and
`tests/domain/test_eligibility_equivalence.py` checks equality with `decide` on random data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from hogo.domain.clock import as_aware
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS
from hogo.domain.decision import Assessment, Basis, assess_purpose
from hogo.domain.policy import Policy
from hogo.engines import SqlEngine, get_engine

_T_SUBJECTS, _T_EVENTS, _T_EXCEPTIONS, _T_INCLUDED, _T_KNOWN = (
    "hogo_subjects",
    "hogo_events",
    "hogo_exceptions",
    "hogo_included_terms",
    "hogo_known_terms",
)


#: Engine table names for subjects, events and legal exceptions.
Names = tuple[str, str, str]


class ConsentSource(Protocol):
    """Consent data as engine tables: from Arrow, streamed from the store, or a snapshot
    (implemented in `hogo.store.export` and `hogo.store.snapshot`)."""

    def register(self, engine: SqlEngine, names: Names) -> None:
        """Make subjects, events and exceptions queryable in ``engine`` under ``names``."""


@dataclass(frozen=True)
class EligibilityResult:
    purpose_id: str
    recipient_id: str | None
    at: datetime
    subjects: int
    allowed: int
    by_basis: dict[str, int] = field(default_factory=dict)
    path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose_id": self.purpose_id,
            "recipient_id": self.recipient_id,
            "at": self.at.isoformat(),
            "subjects": self.subjects,
            "allowed": self.allowed,
            "by_basis": self.by_basis,
            "path": str(self.path) if self.path else None,
        }


def decisions_sql(engine: SqlEngine, a: Assessment, with_reason: bool = False) -> tuple[str, dict[str, Any]]:
    """SELECT subject_id, allowed, basis for every registered subject.

    ``with_reason`` adds ``reason``: for a person not allowed, the code of the first reason
    `decide` gives (what a release page counts exclusions by); NULL for a person allowed. It
    costs one more pass over the events, so only releases ask for it.
    """
    q, p = engine.ident, engine.dialect.param
    params: dict[str, Any] = {
        "purpose": a.purpose_id,
        "recipient": a.recipient_id,
        "at": a.at.astimezone(UTC).replace(tzinfo=None),
        "bundle": ALL_PURPOSES_IN_TERMS,
        "terminal": bool(a.terminal),
        "unnotified": bool(a.unnotified),
        "needs_consent": a.needs_consent,
        "relationship": bool(a.relationship),
        "require_identity": a.require_identity,
        "revive": a.blanket_revives,
        "threshold": a.guardian_below_age,
        "foreign": a.foreign_consent_needed,
        "opt_out": a.opt_out_available and not a.opt_out_bans,
    }
    e, s, x, t, k = q(_T_EVENTS), q(_T_SUBJECTS), q(_T_EXCEPTIONS), q(_T_INCLUDED), q(_T_KNOWN)
    jst = f"CAST(l.{q('collected_at')} + INTERVAL 9 HOUR AS DATE)"
    birth = f"s.{q('birth_date')}"
    age = (
        f"(year({jst}) - year({birth}) - CASE WHEN month({jst}) * 100 + day({jst}) "
        f"< month({birth}) * 100 + day({birth}) THEN 1 ELSE 0 END)"
    )
    rank = f"CASE ev.{q('action')} WHEN 'grant' THEN 0 WHEN 'deny' THEN 1 WHEN 'object' THEN 2 ELSE 3 END"
    newest_first = f"ev.{q('collected_at')} DESC, {rank} DESC, ev.{q('event_id')} DESC"
    stale_cte = stale_join = reason_columns = reason_passthrough = reason_select = ""
    if with_reason:
        # Mirrors decide_assessed and _consent_reasons, first reason only.
        params["terminal_code"] = a.terminal[0].code if a.terminal else ""
        params["unnotified_code"] = a.unnotified[0].code if a.unnotified else ""
        stale_cte = f"""stale AS (
  SELECT DISTINCT {q("subject_id")} AS sid FROM {e}
  WHERE {q("purpose_id")} = {p("bundle")} AND {q("action")} = 'grant' AND {q("collected_at")} <= {p("at")}
),
"""
        stale_join = f"\n  LEFT JOIN stale AS st ON st.sid = s.{q('subject_id')}"
        reason_columns = f"""
         CASE
           WHEN {p("terminal")} THEN {p("terminal_code")}
           WHEN {p("unnotified")} THEN {p("unnotified_code")}
           WHEN NOT {p("needs_consent")} THEN 'OBJECTED'
           WHEN l.action IS NULL THEN
             CASE WHEN st.sid IS NOT NULL THEN 'TERMS_DID_NOT_INCLUDE_PURPOSE' ELSE 'NO_CONSENT' END
           WHEN l.action = 'deny' THEN 'CONSENT_DENIED'
           WHEN l.action = 'withdraw' THEN 'CONSENT_WITHDRAWN'
           WHEN l.action = 'object' THEN 'OBJECTED'
           WHEN l.terms_version IS NOT NULL
                AND l.terms_version NOT IN (SELECT {q("version")} FROM {k}) THEN 'TERMS_VERSION_UNKNOWN'
           WHEN l.terms_version IS NOT NULL
                AND l.terms_version NOT IN (SELECT {q("version")} FROM {t})
             THEN 'TERMS_DID_NOT_INCLUDE_PURPOSE'
           WHEN {p("require_identity")} AND NOT s.{q("identity_verified")} THEN 'IDENTITY_NOT_VERIFIED'
           WHEN {birth} IS NOT NULL AND NULLIF(trim(l.guardian_name), '') IS NULL AND {age} < {p("threshold")}
             THEN 'GUARDIAN_CONSENT_MISSING'
           WHEN {p("foreign")} AND NOT coalesce(l.foreign_info, FALSE) THEN 'FOREIGN_TRANSFER_INFO_MISSING'
           ELSE NULL
         END AS denial,"""
        reason_passthrough = ", denial"
        reason_select = ", CASE WHEN basis IS NULL THEN denial END AS reason"
    sql = f"""
WITH relevant AS (
  SELECT ev.{q("subject_id")} AS sid, ev.{q("purpose_id")} AS pid, ev.{q("action")} AS action,
         ev.{q("terms_version")} AS terms_version,
         ev.{q("collected_at")} AS collected_at, ev.{q("guardian_name")} AS guardian_name,
         ev.{q("foreign_transfer_info_given")} AS foreign_info,
         row_number() OVER newest_first AS rn,
         -- events about the purpose itself so far, newest first: 1 on the newest of them. The
         -- same window as rn, so one sort serves both (two sorts took a third longer at 10M).
         SUM(CASE WHEN ev.{q("purpose_id")} = {p("purpose")} THEN 1 ELSE 0 END) OVER newest_first AS rn_own
  FROM {e} AS ev
  WHERE ev.{q("collected_at")} <= {p("at")}
    AND (ev.{q("purpose_id")} = {p("purpose")}
         OR (ev.{q("purpose_id")} = {p("bundle")}
             AND ((ev.{q("terms_version")} IS NULL AND ev.{q("action")} <> 'grant')
                  OR ev.{q("terms_version")} IN (SELECT {q("version")} FROM {t}))))
  WINDOW newest_first AS (PARTITION BY ev.{q("subject_id")} ORDER BY {newest_first}
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
newest AS (SELECT * FROM relevant WHERE rn = 1),
own AS (SELECT * FROM relevant WHERE rn_own = 1 AND pid = {p("purpose")}),
-- decision.blanket_after_refusal: a bundled grant does not undo a specific refusal (by default).
kept_refusal AS (
  SELECT n.sid FROM newest AS n JOIN own AS o ON o.sid = n.sid
  WHERE NOT {p("revive")} AND n.pid = {p("bundle")} AND n.action = 'grant'
    AND o.action IN ('deny', 'withdraw', 'object')
),
latest AS (
  SELECT * FROM newest WHERE sid NOT IN (SELECT sid FROM kept_refusal)
  UNION ALL
  SELECT * FROM own WHERE sid IN (SELECT sid FROM kept_refusal)
),
excepted AS (
  SELECT DISTINCT {q("subject_id")} AS sid FROM {x}
  WHERE {q("purpose_id")} = {p("purpose")}
    AND ({q("recipient_id")} IS NULL OR {q("recipient_id")} = {p("recipient")})
    AND {q("recorded_at")} <= {p("at")}
    AND ({q("valid_until")} IS NULL OR {p("at")} < {q("valid_until")})
),
{stale_cte}judged AS (
  SELECT s.{q("subject_id")} AS subject_id,
         xs.sid IS NOT NULL AS excepted,
         l.action AS action,{reason_columns}
         (l.action = 'grant'
          AND (l.terms_version IS NULL OR l.terms_version IN (SELECT {q("version")} FROM {t}))
          AND (NOT {p("require_identity")} OR s.{q("identity_verified")})
          AND ({birth} IS NULL OR NULLIF(trim(l.guardian_name), '') IS NOT NULL OR {age} >= {p("threshold")})
          AND (NOT {p("foreign")} OR l.foreign_info)) AS consent_ok
  FROM {s} AS s
  LEFT JOIN latest AS l ON l.sid = s.{q("subject_id")}
  LEFT JOIN excepted AS xs ON xs.sid = s.{q("subject_id")}{stale_join}
),
based AS (
  SELECT subject_id,
    CASE
      WHEN {p("terminal")} THEN NULL
      WHEN excepted THEN 'legal_exception'
      WHEN {p("unnotified")} THEN NULL
      WHEN NOT {p("needs_consent")} THEN
        CASE WHEN action IS NOT DISTINCT FROM 'object' THEN NULL
             WHEN {p("relationship")} THEN 'not_third_party' ELSE 'purpose_of_use' END
      WHEN coalesce(consent_ok, FALSE) THEN 'consent'
      WHEN {p("opt_out")} AND coalesce(action, '') NOT IN ('deny', 'withdraw', 'object') THEN 'opt_out'
      ELSE NULL
    END AS basis{reason_passthrough}
  FROM judged
)
SELECT subject_id, basis IS NOT NULL AS allowed, basis{reason_select} FROM based
"""
    return sql, params


def register(engine: SqlEngine, policy: Policy, tables: ConsentSource, purpose_id: str) -> None:
    included = [t.version for t in policy.terms if purpose_id in t.purposes]
    tables.register(engine, (_T_SUBJECTS, _T_EVENTS, _T_EXCEPTIONS))
    engine.register_arrow(_T_INCLUDED, pa.table({"version": pa.array(included, type=pa.string())}))
    known = [t.version for t in policy.terms]
    engine.register_arrow(_T_KNOWN, pa.table({"version": pa.array(known, type=pa.string())}))


def unregister(engine: SqlEngine) -> None:
    """Remove the tables `register` made (a release, once it has decided, no longer needs them:
    consent streamed from the store is tens of millions of events in the engine)."""
    for name in (_T_SUBJECTS, _T_EVENTS, _T_EXCEPTIONS, _T_INCLUDED, _T_KNOWN):
        engine.drop(name)


def eligible_subjects(
    policy: Policy,
    tables: ConsentSource,
    purpose_id: str,
    at: datetime,
    recipient_id: str | None = None,
    *,
    out: Path | None = None,
    engine: SqlEngine | None = None,
) -> EligibilityResult:
    """Count (and with `out`, write to Parquet) the persons allowed for the purpose at `at`."""
    a = assess_purpose(policy, purpose_id, as_aware(at), recipient_id)
    own = engine is None
    eng = engine or get_engine()
    try:
        register(eng, policy, tables, purpose_id)
        sql, params = decisions_sql(eng, a)
        decided = eng.create_table_as(eng.temp_name("hogo_decided"), sql, params)
        counts = eng.query(
            f"SELECT basis, COUNT(*) AS n FROM {eng.ident(decided)} "
            "WHERE allowed GROUP BY basis ORDER BY basis"
        ).to_pylist()
        by_basis = {str(r["basis"]): int(r["n"]) for r in counts}
        if out is not None:
            eng.write_parquet(
                f"SELECT subject_id, basis FROM {eng.ident(decided)} WHERE allowed ORDER BY subject_id", out
            )
        subjects = eng.count(_T_SUBJECTS)
        eng.drop(decided)
        return EligibilityResult(
            purpose_id=purpose_id,
            recipient_id=recipient_id,
            at=a.at,
            subjects=subjects,
            allowed=sum(by_basis.values()),
            by_basis=by_basis,
            path=out,
        )
    finally:
        if own:
            eng.close()


def decisions_table(
    policy: Policy,
    tables: ConsentSource,
    purpose_id: str,
    at: datetime,
    recipient_id: str | None = None,
    *,
    engine: SqlEngine | None = None,
    with_reason: bool = False,
) -> pa.Table:
    """Every person with allowed and basis (and reason), as Arrow; used to compare with `decide`."""
    a = assess_purpose(policy, purpose_id, as_aware(at), recipient_id)
    eng = engine or get_engine()
    try:
        register(eng, policy, tables, purpose_id)
        sql, params = decisions_sql(eng, a, with_reason)
        return eng.query(sql + " ORDER BY subject_id", params)
    finally:
        if engine is None:
            eng.close()


def decisions_into(
    engine: SqlEngine,
    name: str,
    policy: Policy,
    tables: ConsentSource,
    purpose_id: str,
    at: datetime,
    recipient_id: str | None = None,
    *,
    with_reason: bool = False,
) -> str:
    """Table ``name`` in ``engine`` with every person's allowed and basis (and, asked, the reason
    a person is not allowed); nothing leaves the engine."""
    a = assess_purpose(policy, purpose_id, as_aware(at), recipient_id)
    register(engine, policy, tables, purpose_id)
    sql, params = decisions_sql(engine, a, with_reason)
    return engine.create_table_as(name, sql, params)


__all__ = [
    "Basis",
    "EligibilityResult",
    "decisions_into",
    "decisions_sql",
    "decisions_table",
    "eligible_subjects",
    "unregister",
]
