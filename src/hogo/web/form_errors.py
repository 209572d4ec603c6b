"""An error shown on a form names the field as the form labels it, not by its internal name.

`InputError` says where a problem is for programs and files ("項目 claim: …"); a person at a form
sees the words of the label beside the box instead ("「請求の理由」: …").
"""

from __future__ import annotations

from collections.abc import Mapping

from hogo.errors import HogoError, InputError
from hogo.web.i18n import translator


def _label(field: str, labels: Mapping[str, str]) -> str | None:
    """The label of `field`, else of its last parts (`choices.0.evidence` → `evidence`), else of
    its first parts (`purposes.0` → `purposes`)."""
    parts = field.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts))] + [
        ".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)
    ]
    return next((labels[c] for c in candidates if c in labels), None)


def form_error(error: HogoError, lang: str, labels: Mapping[str, str]) -> str:
    """The error's text in `lang`, its field named by `labels` (field name → the label shown)."""
    text = error.en if lang == "en" else error.ja
    if not isinstance(error, InputError) or error.field is None or error.row is not None:
        return text
    label = _label(error.field, labels)
    if label is None:
        return text
    ja, en = error.problem
    return f"{label}: {en}" if lang == "en" else f"「{label}」: {ja}"


def keyed_form_error(error: HogoError, lang: str, label_keys: Mapping[str, str]) -> str:
    """`form_error` with the labels given as keys of messages.toml (field name → key)."""
    t = translator(lang)
    return form_error(error, lang, {name: t(key) for name, key in label_keys.items()})
