"""HTML mail to plain text, with ``html.parser``: nothing is rendered, fetched or executed.

Script, style and other non-content elements are dropped with everything inside them; links
keep only their text; block elements become line breaks; ``<blockquote>`` content is prefixed
with ``> `` so that quoted history can be trimmed like plain-text quotes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_HTML_CHARS = 2_000_000

_SKIP = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "frameset",
        "frame",
        "xml",
        "canvas",
        "audio",
        "video",
        "select",
        "button",
    }
)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "tr",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "figure",
    }
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.line_depth = 0
        self.skip_stack: list[str] = []
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skipped = _skipped_name(tag)
        if skipped or self.skip_stack:
            if skipped and skipped not in _VOID:
                self.skip_stack.append(skipped)
            return
        if tag == "br":
            self.newline(force=True)
        elif tag == "blockquote":
            self.newline()
            self.quote_depth += 1
        elif tag == "li":
            self.newline()
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag in _BLOCK:
            self.newline()
            if tag == "pre":
                self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.skip_stack:
            self.newline(force=True)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_stack:
            if tag == self.skip_stack[-1]:
                self.skip_stack.pop()
            elif tag in self.skip_stack:
                while self.skip_stack and self.skip_stack.pop() != tag:
                    pass
            return
        if tag == "blockquote":
            self.newline()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in _BLOCK or tag == "li":
            self.newline()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_stack:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self.add(first)
            for part in rest:
                self.newline(force=True)
                self.add(part)
            return
        text = " ".join(data.split())
        if data[:1].isspace() and text:
            text = " " + text
        if data[-1:].isspace() and text:
            text += " "
        self.add(text)

    def add(self, text: str) -> None:
        if text:
            if not self.current:
                self.line_depth = self.quote_depth
            self.current.append(text)

    def newline(self, *, force: bool = False) -> None:
        line = "".join(self.current).strip()
        depth = self.line_depth if self.current else self.quote_depth
        if line or force:
            self.lines.append("> " * depth + line if line else ">" * depth)
        self.current = []


def _skipped_name(tag: str) -> str:
    """The element to skip for ``tag``; broken names like ``scr<script`` count as script."""
    if tag in _SKIP:
        return tag
    return next((word for word in ("script", "style") if word in tag), "")


def html_to_text(markup: str) -> str:
    """Readable plain text for ``markup``. Never raises."""
    parser = _TextExtractor()
    try:
        parser.feed(markup[:MAX_HTML_CHARS])
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces
        pass
    parser.newline()
    text = "\n".join(line.rstrip() for line in parser.lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
