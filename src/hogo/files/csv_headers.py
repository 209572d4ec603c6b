"""Column headers of CSVs for people: Japanese for the Japanese office, machine names on request.

A CSV a privacy officer opens in Excel says 本人ID / メールアドレス, not subject_id / email; a
script asks for the machine names (`--headers machine` on the CLI, `?headers=machine` on the
API) and gets the same file with the codes it branches on. One table here, so every writer of a
people-CSV names a column the same way; `machine_names` maps either spelling back, so a file
hogo wrote can be read again whichever headers it carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from hogo.errors import InputError


class HeaderStyle(StrEnum):
    ja = "ja"  # for people (the default)
    machine = "machine"  # the stable column names, for scripts


#: Machine column name → the heading a Japanese reader expects.
JA_HEADERS: dict[str, str] = {
    "subject_id": "本人ID",
    "birth_date": "生年月日",
    "identity_verified": "本人確認",
    "event_id": "事象ID",
    "purpose_id": "利用目的",
    "recipient_id": "提供先",
    "action": "行為",
    "terms_version": "規約版",
    "method": "取得方法",
    "collected_at": "取得日時",
    "channel": "連絡手段",
    "email": "メールアドレス",
    "phone": "電話番号",
    "name": "氏名",
    "address": "住所",
    "guardian_name": "法定代理人等の氏名",
    "guardian_relation": "法定代理人等の続柄",
    "foreign_transfer_info_given": "外国提供の情報提供",
    "evidence": "証跡",
    "row": "行",
    "problems": "問題",
}

#: The 個人情報管理台帳 (inventory) columns, as the console labels them. A table of its own:
#: its `name` is a dataset's 名称, not a person's 氏名.
INVENTORY_HEADERS: dict[str, str] = {
    "id": "データセットID",
    "name": "名称",
    "owner": "管理者",
    "location_kind": "保管場所の種類",
    "location": "保管場所",
    "data_categories": "データ区分",
    "purposes": "利用目的",
    "subjects": "対象の本人",
    "subject_ids": "対象の本人ID",
    "count": "件数",
    "retention": "保存期間",
    "access_roles": "アクセス権限",
    "encryption": "暗号化",
    "outsourcees": "委託先",
}

#: Values that are codes, per column, as people read them (the machine style keeps the codes).
JA_VALUES: dict[str, dict[str, str]] = {
    "channel": {"email": "電子メール", "phone": "電話", "none": "連絡手段なし(公表等で代替)"},
}


def parse_style(text: str) -> HeaderStyle:
    """`ja` or `machine`; anything else is an input error naming the option."""
    try:
        return HeaderStyle(text.strip().lower())
    except ValueError:
        raise InputError(
            f"見出しの形式は ja 又は machine で指定してください(指定値: {text[:20]})。",
            f"headers must be ja or machine (got {text[:20]}).",
            field="headers",
        ) from None


def header_row(
    columns: Iterable[str], style: HeaderStyle = HeaderStyle.ja, table: Mapping[str, str] = JA_HEADERS
) -> list[str]:
    """The heading of each column in `style`; a column without a Japanese heading keeps its name."""
    if style is HeaderStyle.machine:
        return list(columns)
    return [table.get(c, c) for c in columns]


def cell(column: str, value: str, style: HeaderStyle = HeaderStyle.ja) -> str:
    """A code value as people read it (only for columns listed in JA_VALUES)."""
    if style is HeaderStyle.machine:
        return value
    return JA_VALUES.get(column, {}).get(value, value)


def machine_names(headers: Sequence[str], table: Mapping[str, str] = JA_HEADERS) -> list[str]:
    """Headers as written by either style, back to the machine names (for reading a file again)."""
    reverse = {ja: machine for machine, ja in table.items()}
    return [reverse.get(h.strip(), h.strip()) for h in headers]
