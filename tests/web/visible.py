"""The text a person reads on a page: text nodes outside <code>, <script> and <style>.

Attribute values (data-*, ids, hrefs) are for machines and are not read; <code> marks an id that
is shown on purpose, as a technical label next to its title.
"""

from __future__ import annotations

from html.parser import HTMLParser

_SKIPPED = {"code", "script", "style"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not _SKIPPED.intersection(self.stack) and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The page's text nodes in document order, stripped, without what <code> holds."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.parts
