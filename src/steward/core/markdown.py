"""Markdown for user text (ticket descriptions, comments): one safe renderer and one validator.

``render`` is safe on its own: markdown-it runs with raw HTML disabled (so ``<b>`` shows as
text), and its output then goes through nh3 with an explicit allowlist of tags, attributes and
URL schemes. Images are rendered as plain links to the image, never as ``<img>``: an image
would load a third-party URL (a tracking pixel) the moment an agent opens the ticket.

``validate`` lets a service refuse dangerous source with a clear error instead of silently
stripping it: raw ``<script>`` and friends, event-handler attributes, and ``javascript:``,
``vbscript:`` or ``data:`` links however they are spelt. Code spans and code blocks are only
text, so writing about ``<script>`` inside backticks is fine.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from steward.core.errors import RuleViolation

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}
ALIGNMENTS = frozenset({"left", "center", "right"})
ALLOWED_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "th": {"align": set(ALIGNMENTS)},
    "td": {"align": set(ALIGNMENTS)},
}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# validate() refuses these; render() would drop them anyway.
DANGEROUS_SCHEMES = frozenset({"javascript", "vbscript", "livescript", "data"})
# Elements that run or load something by themselves. Others (svg, math, form) are refused
# only when they carry event handlers or script addresses, so "the <form> broke" is fine.
DANGEROUS_TAGS = frozenset(
    {"applet", "base", "embed", "frame", "frameset", "iframe", "link", "meta", "object", "script"}
)

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """``![alt](src)`` becomes a link to the image, labelled with its alt text."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = renderer.renderInlineAsText(token.children or [], options, env) or src
    title = token.attrGet("title")
    title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<a href="{escapeHtml(src)}"{title_attr}>{escapeHtml(label)}</a>'


def _render_cell(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Table cells carry ``align=`` instead of markdown-it's ``style=`` (no style attributes)."""
    token = tokens[idx]
    align = str(token.attrGet("style") or "").removeprefix("text-align:")
    align_attr = f' align="{align}"' if align in ALIGNMENTS else ""
    return f"<{token.tag}{align_attr}>"


def _markdown(*, raw_html: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": raw_html}).enable(["table", "strikethrough"])


_MD = _markdown(raw_html=False)
_MD.add_render_rule("image", _render_image)
_MD.add_render_rule("th_open", _render_cell)
_MD.add_render_rule("td_open", _render_cell)

# For validate(): the same parse as render() but keeping every link target (markdown-it
# otherwise drops javascript: links before we could name them), and a parse that keeps raw HTML
# as tokens so dangerous tags can be named.
_SEE_ALL_LINKS = _markdown(raw_html=False)
_SEE_ALL_LINKS.validateLink = lambda url: True  # type: ignore[method-assign]
_SEE_RAW_HTML = _markdown(raw_html=True).disable("text_join")  # keep entities apart


def render(text: str) -> SafeString:
    """Markdown ``text`` as sanitised HTML, safe to place in a page without escaping."""
    unsafe_html = _MD.render(text)
    clean_html = nh3.clean(
        unsafe_html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        url_schemes=set(ALLOWED_SCHEMES),
        attribute_filter=_drop_disguised_href,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(clean_html)  # sanitised by nh3 just above


def _drop_disguised_href(tag: str, attribute: str, value: str) -> str | None:
    """A second opinion on nh3's scheme check, decoding as suspiciously as ``validate``: a
    relative-looking ``javascript%3Aalert(1)`` is dropped too (harmless, but not kept)."""
    if attribute == "href" and url_scheme(value) not in {*ALLOWED_SCHEMES, None}:
        return None
    return value


def _decoded(url: str) -> str:
    """``url`` as suspiciously as possible: entities and percent escapes decoded until stable,
    whitespace, control and invisible format characters removed, lower case."""
    previous = None
    while url != previous:
        previous = url
        url = unquote(html.unescape(url))
    visible = (
        ch for ch in url if not ch.isspace() and unicodedata.category(ch) not in {"Cc", "Cf"}
    )
    return "".join(visible).lower()


def url_scheme(url: str) -> str | None:
    """The scheme a browser could see in ``url``, seeing through encoding tricks.

    ``jav&#x61;script:``, ``java\\tscript:`` and ``JaVaScRiPt:`` all give ``"javascript"``.
    Returns ``None`` for a relative URL. Deliberately more suspicious than a browser.
    """
    match = _SCHEME.match(_decoded(url))
    return match.group(1) if match else None


class _TagCollector(HTMLParser):
    """Tags and their (entity-decoded) attributes in a fragment of raw HTML.

    Script and style content is parsed as markup too: inside ``<svg>`` or ``<math>`` a browser
    does so (the mutation-XSS trick), and being too suspicious costs nothing here.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((tag, []))

    def set_cdata_mode(self, elem: str, *args: object, **kwargs: object) -> None:
        """Never switch to raw-text mode (see the class docstring)."""

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """Skip ``<![…>`` as browsers do (Python 3.11 raises AssertionError on bad ones)."""
        end = self.rawdata.find(">", i)
        return -1 if end < 0 else end + 1


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _link_problems(text: str) -> Iterator[str]:
    """Dangerous link and image targets, parsed exactly as ``render`` parses them."""
    for token in _walk(_SEE_ALL_LINKS.parse(text)):
        target = token.attrGet("href") if token.type == "link_open" else token.attrGet("src")
        if target is None:
            continue
        scheme = url_scheme(str(target))
        if scheme in DANGEROUS_SCHEMES:
            yield f"Links and images may not use “{scheme}:” addresses."


def _source_html(child: Token) -> str:
    """An inline token as the HTML a browser would parse if raw HTML were allowed."""
    if child.type in {"text", "html_inline"}:
        return child.content
    if child.type == "text_special":  # an entity or backslash escape: text, not markup
        return html.escape(child.content)
    if child.type in {"softbreak", "hardbreak"}:
        return "\n"
    if child.type == "image":
        return "".join(_source_html(grandchild) for grandchild in child.children or [])
    return " "  # code spans and emphasis or link markers: a boundary, never markup


def _raw_html(text: str) -> Iterator[str]:
    """Source that would be HTML outside code: raw HTML blocks, and each paragraph, heading or
    cell with its code spans blanked out (``<svg/onload=…>`` is not raw HTML to CommonMark,
    but it is to a browser)."""
    for token in _SEE_RAW_HTML.parse(text):
        if token.type == "html_block":
            yield token.content
        elif token.type == "inline":
            yield "".join(_source_html(child) for child in token.children or [])


def _html_problems(text: str) -> Iterator[str]:
    """Dangerous HTML outside code spans and blocks (``render`` would show it as text)."""
    for source in _raw_html(text):
        collector = _TagCollector()
        collector.feed(source)
        collector.close()
        for tag, attrs in collector.tags:
            if tag in DANGEROUS_TAGS:
                yield f"HTML <{tag}> elements are not allowed. Put code in backticks."
            for name, value in attrs:
                if name.startswith("on"):
                    yield f"HTML event handlers ({name}=) are not allowed."
                decoded = _decoded(value or "")
                scheme = url_scheme(value or "")
                if scheme in DANGEROUS_SCHEMES or "script:" in decoded:
                    yield "HTML attributes may not contain script addresses."


def validate(text: str) -> None:
    """Refuse ``text`` holding script, event handlers or script links, naming each problem.

    Raises ``RuleViolation`` (a ``ValidationError``). Services call it before storing Markdown;
    ``render`` stays safe without it.
    """
    problems = dict.fromkeys([*_link_problems(text), *_html_problems(text)])
    if problems:
        raise RuleViolation([RuleViolation(p, code="unsafe_markdown") for p in problems])
