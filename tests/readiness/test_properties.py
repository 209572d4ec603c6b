"""Properties of the rules that have many cases: exposure and MFA, patch age, 3-2-1-1-0, cycles."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hogo.domain.readiness import eol
from hogo.domain.readiness.assets import REMOTE_ACCESS_KINDS, REMOTE_ACCESS_PORTS, AssetKind
from hogo.domain.readiness.backups import BackupJob, Media, evaluate_source
from hogo.domain.readiness.inventory import Inventory
from tests.readiness.conftest import TODAY, asset, run_check

CATALOGUE = eol.EolCatalogue()  # the rules below do not need EOL data

ports = st.lists(st.integers(min_value=1, max_value=65535), max_size=4).map(tuple)
kinds = st.sampled_from(list(AssetKind))
flags = st.sampled_from([True, False, None])


@given(kind=kinds, exposed=ports, mfa=flags)
def test_mfa_rule(kind: AssetKind, exposed: tuple[int, ...], mfa: bool | None) -> None:
    a = asset(kind=kind, exposed_ports=exposed, mfa=mfa)
    findings = run_check("access.exposed_without_mfa", Inventory(assets=(a,)), CATALOGUE)
    remote = bool(exposed) and (kind in REMOTE_ACCESS_KINDS or any(p in REMOTE_ACCESS_PORTS for p in exposed))
    if not remote:
        assert findings == []
    else:
        assert [f.passed for f in findings] == [mfa is True]


@given(kind=kinds, exposed=ports)
def test_rdp_rule(kind: AssetKind, exposed: tuple[int, ...]) -> None:
    findings = run_check(
        "access.rdp_exposed", Inventory(assets=(asset(kind=kind, exposed_ports=exposed),)), CATALOGUE
    )
    if 3389 in exposed:
        assert [f.passed for f in findings] == [False]
    elif kind is AssetKind.rdp_host:
        assert [f.passed for f in findings] == [True]
    else:
        assert findings == []


@given(age=st.integers(min_value=0, max_value=4000))
def test_patch_age(age: int) -> None:
    a = asset(last_patched_on=TODAY - timedelta(days=age))
    [f] = run_check("patch.stale", Inventory(assets=(a,)), CATALOGUE)
    assert f.passed is (age <= 90)


job_strategy = st.builds(
    BackupJob,
    id=st.uuids().map(lambda u: u.hex[:12]),
    source=st.just("src"),
    media=st.sampled_from(list(Media)),
    generations=st.integers(min_value=0, max_value=60),
    offline=st.booleans(),
    immutable=st.booleans(),
    offsite=st.booleans(),
    last_restore_test_on=st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=TODAY)),
    restore_test_errors=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)


@given(jobs=st.lists(job_strategy, max_size=6, unique_by=lambda j: j.id))
def test_3_2_1_1_0_counts(jobs: list[BackupJob]) -> None:
    r = evaluate_source("src", jobs)
    assert r.copies == 1 + sum(1 for j in jobs if j.generations > 0)
    assert r.media == len({j.media for j in jobs} | {Media.local_disk})
    assert r.one_offsite == any(j.offsite for j in jobs)
    assert r.one_isolated == any(j.offline or j.immutable for j in jobs)
    clean = [j.last_restore_test_on for j in jobs if j.last_restore_test_on and j.restore_test_errors == 0]
    assert r.last_clean_restore_on == (max(clean) if clean else None)


cycles = st.from_regex(r"[1-9][0-9]?\.[0-9]{1,2}", fullmatch=True)


@given(
    cycle=cycles, patch=st.integers(min_value=0, max_value=99), build=st.integers(min_value=0, max_value=9999)
)
def test_version_finds_its_cycle(cycle: str, patch: int, build: int) -> None:
    major, minor = cycle.split(".")
    sibling = f"{major}.{minor}0"  # "7.1" and "7.10" are different cycles
    product = eol.EolProduct(
        id="p",
        releases=(eol.EolRelease(cycle=cycle, eol=False), eol.EolRelease(cycle=sibling, eol=True)),
    )
    found = eol.find_release(product, f"v{cycle}.{patch} build{build}")
    assert found is not None and found.cycle == cycle
    other = eol.find_release(product, f"{sibling}.{patch}")
    assert other is not None and other.cycle == sibling


@given(
    a=st.lists(st.integers(0, 50), min_size=2, max_size=4),
    b=st.lists(st.integers(0, 50), min_size=2, max_size=4),
)
def test_behind_latest_is_numeric_order(a: list[int], b: list[int]) -> None:
    release = eol.EolRelease(cycle="x", eol=False, latest=".".join(map(str, b)))
    assert eol.behind_latest(release, ".".join(map(str, a))) is (tuple(a) < tuple(b))
