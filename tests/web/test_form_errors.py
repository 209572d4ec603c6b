"""A form names a refused field by its label: the field's own name, its last parts or its first
parts find the label; an error of a row of a file, or of a field the form does not label, is
shown as it is."""

from __future__ import annotations

from hogo.errors import HogoError, InputError
from hogo.web.form_errors import form_error, keyed_form_error

LABELS = {"evidence": "証跡", "purposes": "対象の利用目的"}


def test_the_label_replaces_the_fields_name() -> None:
    error = InputError(
        "同意の内容が正しくありません。", "the consent is not valid.", field="choices.0.evidence"
    )
    assert form_error(error, "ja", LABELS) == "「証跡」: 同意の内容が正しくありません。"
    assert form_error(error, "en", {"evidence": "Evidence"}) == "Evidence: the consent is not valid."
    listed = InputError("ポリシーにない利用目的です。", "unknown purpose.", field="purposes.2")
    assert form_error(listed, "ja", LABELS) == "「対象の利用目的」: ポリシーにない利用目的です。"


def test_what_the_form_cannot_name_is_shown_as_it_is() -> None:
    unlabelled = InputError("値が正しくありません。", field="other")
    assert form_error(unlabelled, "ja", LABELS) == unlabelled.ja == "項目 other: 値が正しくありません。"
    row = InputError("値が正しくありません。", row=3, field="evidence")
    assert form_error(row, "ja", LABELS) == row.ja
    plain = HogoError("本人が登録されていません。", "unknown subject.")
    assert form_error(plain, "en", LABELS) == "unknown subject."


def test_labels_by_message_key_are_translated() -> None:
    error = InputError("12文字以上にしてください。", "use 12 characters or more.", field="password")
    assert (
        keyed_form_error(error, "ja", {"password": "login.password"})
        == "「パスワード」: 12文字以上にしてください。"
    )
    assert (
        keyed_form_error(error, "en", {"password": "login.password"})
        == "Password: use 12 characters or more."
    )
