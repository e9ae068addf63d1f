"""HTML fragments from feeds turned into clean, single-spaced text (pure).

Feeds put anything in titles and descriptions: CDATA-wrapped HTML, escaped HTML,
entities, scripts, tracking pixels. Downstream stages read plain text, so we keep
the words and drop the markup. Block elements become line breaks so paragraphs do
not run together; everything else is collapsed to single spaces.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head"})
_BLOCK = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "blockquote", "section", "article", "figure", "figcaption", "pre", "hr", "dd", "dt",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2028\u2029]+")
_LINES = re.compile(r" *\n[ \n]*")
_MARKUP = re.compile(r"[<&]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def collapse(text: str) -> str:
    """Collapse runs of spaces to one and blank-line runs to one line break; strip ends."""
    text = _SPACES.sub(" ", text.replace("\r\n", "\n"))
    return _LINES.sub("\n", text).strip()


_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def html_to_text(fragment: str | None, *, keep_lines: bool = True, _depth: int = 0) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed.

    With ``keep_lines=False`` (titles) the result is a single line.
    """
    if not fragment:
        return ""
    if _MARKUP.search(fragment) is None:  # the common case for titles: no parser needed
        text = fragment
    else:
        parser = _TextCollector()
        try:
            parser.feed(fragment)
            if parser.rawdata.startswith("<"):
                # markup left unfinished at the end (a comment, CDATA, a tag): a browser
                # shows none of it; html.parser's close() would hand it back as text
                parser.rawdata = ""
            parser.close()
            text = "".join(parser.parts)
        except Exception:  # html.parser is lenient; this is a last resort on broken input
            text = html.unescape(re.sub(r"<[^>]*>", " ", fragment))
        # A second level of escaping ("&amp;lt;b&amp;gt;") is common in feeds: decode once more
        # only when what is left still looks like markup.
        if _depth == 0 and "<" in text and _TAG.search(text):
            return html_to_text(text, keep_lines=keep_lines, _depth=1)
    text = collapse(text)
    if not keep_lines:
        text = text.replace("\n", " ")
    return text
