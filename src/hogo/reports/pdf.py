"""HTML to PDF with WeasyPrint, imported lazily: it needs Pango and a Japanese font on the host."""

from __future__ import annotations

import importlib
from typing import Any

from hogo.errors import HogoError


def html_to_pdf(html: str) -> bytes:
    try:
        weasyprint: Any = importlib.import_module("weasyprint")
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise HogoError(
            "PDF の作成には WeasyPrint と日本語フォント(fonts-noto-cjk)が必要です",
            "PDF output needs WeasyPrint and a Japanese font (fonts-noto-cjk)",
        ) from exc
    document: Any = weasyprint.HTML(string=html)
    pdf: bytes = document.write_pdf()
    return pdf
