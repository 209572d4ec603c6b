"""Inventory storage and the score history, on SQLite and (opt-in) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from hogo.domain.readiness.assessment import assess_readiness
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.services import ledger
from hogo.services import readiness as service
from hogo.store.database import write_scope
from tests.readiness.conftest import asset, good_backups


def test_inventory_round_trip_and_history(store: Engine, catalogue: EolCatalogue) -> None:
    inventory = Inventory(assets=(asset(), asset(id="vpn", kind="vpn_gateway", exposed_ports=(443,))),
                          backups=good_backups())  # fmt: skip
    with write_scope(store) as session:
        counts = service.save_inventory(session, inventory, {"q.telework.rules": Answer.yes})
    assert counts == {"assets": 2, "backups": 2, "answers": 1}
    with write_scope(store) as session:
        loaded, answers = service.load_inventory(session)
    assert {a.id for a in loaded.assets} == {"dev-1", "vpn"} and set(loaded.backups) == set(inventory.backups)
    assert loaded.asset("vpn") == inventory.asset("vpn") and answers == {"q.telework.rules": Answer.yes}

    # upsert by id; --replace starts over
    with write_scope(store) as session:
        service.save_inventory(
            session, Inventory(assets=(asset(id="vpn", kind="vpn_gateway", mfa=False),)), {}
        )
        assert service.load_inventory(session)[0].asset("vpn").mfa is False  # type: ignore[union-attr]
        service.save_inventory(session, Inventory(assets=(asset(id="nas", kind="nas"),)), {}, replace=True)
        assert [a.id for a in service.load_inventory(session)[0].assets] == ["nas"]
        service.remove_asset(session, "nas")
        assert service.load_inventory(session)[0].assets == ()

    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with write_scope(store) as session:
        bad = assess_readiness(
            Inventory(assets=(asset(mfa=False, exposed_ports=(3389,)),)), catalogue, date(2026, 11, 1)
        )
        good = assess_readiness(Inventory(assets=(asset(),)), catalogue, date(2026, 11, 8))
        service.record_assessment(session, bad, t0)
        service.record_assessment(session, good, t0 + timedelta(days=7))
    with write_scope(store) as session:
        points = service.history(session)
        assert [p.value for p in points] == [bad.score.value, good.score.value]
        assert points[0].assessed_at == t0
        verification = ledger.verify_ledger(session)
        assert verification.ok and verification.entries == 6  # 3 saves, 1 removal, 2 assessments
