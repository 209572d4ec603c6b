"""The 管理台帳 over the API: CSV (UTF-8, BOM, CP932) and YAML uploads, all or nothing, with the
bad row and field named; list, and each dataset with its version history from the ledger."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env

URL = "/api/v1/inventory"
HEADER = "id,name,owner,location_kind,data_categories,purposes,subjects,subject_ids,count,encryption,outsourcees\r\n"


def _upload(api: TestClient, env: Env, name: str, data: bytes, **params: Any) -> Any:
    return api.post(
        f"{URL}/import",
        files={"file": (name, data, "application/octet-stream")},
        params=params,
        headers=env.headers(Role.privacy_officer),
    )


def _ids(api: TestClient, env: Env) -> list[str]:
    return [d["id"] for d in api.get(URL, headers=env.headers(Role.auditor)).json()["items"]]


def test_csv_import_list_show_and_versions(api: TestClient, env: Env) -> None:
    first = HEADER + (
        "crm,顧客管理システム,営業部,cloud,contact;purchase,service,id_prefix:M00000,,0,standard,mailer\r\n"
        "forms,申込書(紙),総務部,paper,contact,,,,40,none,\r\n"
        "vip,優待会員,営業部,system,contact,,,M0000001;M0000002,0,none,\r\n"
    )
    r = _upload(api, env, "inventory.csv", first.encode("utf-8-sig"))
    assert r.status_code == 200, r.text
    assert r.json() == {"added": ["crm", "forms", "vip"], "changed": [], "unchanged": [], "removed": []}
    listed = {d["id"]: d for d in api.get(URL, headers=env.headers(Role.auditor)).json()["items"]}
    assert listed["crm"]["subjects"] == {"kind": "id_prefix", "value": "M00000", "listed": 0}
    assert listed["vip"]["subjects"] == {"kind": "listed", "value": "", "listed": 2}
    assert listed["forms"]["location_kind"] == "paper" and listed["forms"]["count"] == 40
    assert listed["crm"]["outsourcees"] == ["mailer"] and listed["crm"]["encryption"] == "standard"

    # The same file in CP932 (Excel in Japan) with one change: a new version of that dataset only.
    second = first.replace("総務部,paper,contact,,,,40", "総務部,paper,contact,,,,45")
    r = _upload(api, env, "inventory.csv", second.encode("cp932"))
    assert r.json() == {"added": [], "changed": ["forms"], "unchanged": ["crm", "vip"], "removed": []}
    detail = api.get(f"{URL}/forms", headers=env.headers(Role.auditor)).json()
    assert detail["dataset"]["count"] == 45
    assert [(v["version"], v["event"]) for v in detail["versions"]] == [(1, "saved"), (2, "saved")]
    assert [v["dataset"]["count"] for v in detail["versions"]] == [40, 45]
    assert detail["versions"][0]["seq"] < detail["versions"][1]["seq"]
    assert api.get(f"{URL}/nothing", headers=env.headers(Role.auditor)).status_code == 404


def test_bad_rows_are_named_and_nothing_is_stored(api: TestClient, env: Env) -> None:
    before = _ids(api, env)
    bad_count = (
        HEADER + "ok1,正しい行,,system,contact,,,,1,none,\r\nok2,次の行,,system,contact,,,,x,none,\r\n"
    )
    r = _upload(api, env, "bad.csv", bad_count.encode("utf-8"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert (error["code"], error["row"], error["field"]) == ("invalid_input", 3, "count")
    assert "3行目" in error["message_ja"] and "row 3" in error["message_en"]
    # A reference the policy does not define stops the import too, naming the dataset (its position
    # in the file: the 2nd) and the field.
    unknown = (
        HEADER
        + "ok3,正しい行,,system,contact,,,,1,none,\r\nbad,区分が不明,,system,contact;dna,,,,1,none,\r\n"
    )
    r = _upload(api, env, "unknown.csv", unknown.encode("utf-8"))
    assert r.status_code == 422
    assert (r.json()["error"]["row"], r.json()["error"]["field"]) == (2, "data_categories.1")
    assert "dna" not in r.text
    assert _ids(api, env) == before


def test_yaml_import_and_yaml_errors(api: TestClient, env: Env) -> None:
    good = (
        "datasets:\n"
        "  - {id: survey, name: アンケート, data_categories: [contact], count: 12, encryption: advanced}\n"
        "  - id: clinic2\n    name: 健康相談\n    data_categories: [medical]\n"
        "    subjects: {kind: listed, subject_ids: [M0000003]}\n"
    )
    r = _upload(api, env, "inventory.yaml", good.encode("utf-8"))
    assert r.status_code == 200, r.text
    assert set(r.json()["added"]) == {"survey", "clinic2"}
    before = _ids(api, env)
    bad = "datasets:\n  - {id: a1, name: A}\n  - {id: a2, name: B, encryption: strong}\n"
    r = _upload(api, env, "bad.yml", bad.encode("utf-8"))
    assert r.status_code == 422
    # the line in the file (was the item's index, 2) and the key path
    assert (r.json()["error"]["row"], r.json()["error"]["field"]) == (3, "datasets.1.encryption")
    assert "strong" not in r.text
    r = _upload(api, env, "broken.yaml", b"datasets: [\n")
    assert r.status_code == 422
    assert _ids(api, env) == before


def test_replace_removes_what_the_file_does_not_name(api: TestClient, env: Env) -> None:
    body = HEADER + "keep1,残す,,system,contact,,,,1,none,\r\ngone1,消す,,system,contact,,,,1,none,\r\n"
    assert _upload(api, env, "a.csv", body.encode()).status_code == 200
    everything = _ids(api, env)
    keep_all = HEADER + "".join(f"{i},{i},,system,,,,,0,none,\r\n" for i in everything if i != "gone1")
    r = _upload(api, env, "b.csv", keep_all.encode(), replace="true")
    assert r.status_code == 200 and r.json()["removed"] == ["gone1"]
    history = api.get(f"{URL}/keep1", headers=env.headers(Role.auditor)).json()["versions"]
    assert [v["version"] for v in history] == [1, 2]


def test_only_recorders_import(api: TestClient, env: Env) -> None:
    data = (HEADER + "x1,X,,system,,,,,0,none,\r\n").encode()
    r = api.post(f"{URL}/import", files={"file": ("x.csv", data)}, headers=env.headers(Role.auditor))
    assert r.status_code == 403
    assert api.post(f"{URL}/import", files={"file": ("x.csv", data)}).status_code == 401
    assert "x1" not in _ids(api, env)
    r = api.post(f"{URL}/import", headers=env.headers(Role.operator))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_the_japanese_export_uploads_as_it_is(api: TestClient, env: Env) -> None:
    ja = (
        "データセットID,名称,管理者,保管場所の種類,データ区分,件数,暗号化\r\n"
        "ja-crm,顧客台帳,営業部,cloud,contact,3,standard\r\n"
    )  # the headings `hogo inventory export` writes by default
    r = _upload(api, env, "台帳.csv", ja.encode("cp932"))
    assert r.status_code == 200, r.text
    shown = api.get(f"{URL}/ja-crm", headers=env.headers(Role.auditor)).json()["dataset"]
    assert (shown["name"], shown["owner"], shown["count"]) == ("顧客台帳", "営業部", 3)
