"""Markdown rendering is safe on its own, and validate() names dangerous input."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.core import markdown
from steward.core.errors import RuleViolation

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}

# Each must render harmlessly and be refused by validate().
DANGEROUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](jav&#x61;script:alert(1))",
    "[x](jav&#97;script:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](<java\tscript:alert(1)>)",
    "[x](java%0ascript:alert(1))",
    "[x](\u200bjavascript:alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[x][ref]\n\n[ref]: <jav&#x61;script:alert(1)> "title"',
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object>',
    "<embed src=x.swf>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<details open ontoggle=alert(1)>",
    "<div>\n<script>alert(1)</script>\n</div>",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
    "**bold <img src=x onerror=alert(1)>**",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "`code` <img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "> quote\n> <script>alert(1)</script>",
    "- item <svg/onload=alert(1)>",
    "# <img/src=x onerror=alert(1)>",
    "![<svg/onload=alert(1)>](https://ok.example/i.png)",
    "<svg/onload=al&#x65;rt(1)>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
]

# Normal Markdown, including text about <script> in code: validate() lets it through.
FINE = [
    "# Printer on floor 3\n\nIt **jams** on _every_ ~~second~~ page.",
    "Run `<script>alert(1)</script>` in the console.",
    "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```",
    "    <script>alert(1)</script>",
    "See [the guide](https://example.org/javascript:guide) and <https://example.org>.",
    "Plain words: javascript: is a scheme, onload= is an attribute.",
    "[desk](mailto:desk@example.org) and [ticket](/tickets/42) and [here](#top)",
    "a <b>bold</b> tag and <br> too",
    "The <form> on the login page and the <svg> logo are broken.",
    "Escaped: &lt;script&gt;alert(1)&lt;/script&gt; and \\<script>alert(1)\\</script>",
    "x = 1 if a < b else 2",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    '[x](https://ok.example "<script>alert(1)</script>")',
    "![diagram](https://example.org/d.png)",
    "<!-- a comment -->",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def browser_scheme(url: str) -> str | None:
    """The scheme as a browser's URL parser finds it (after the HTML parser decoded entities)."""
    url = url.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "")
    url = url.replace("\r", "")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return match.group(1).lower() if match else None


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    collector = _Collector()
    collector.feed(html)
    collector.close()
    assert collector.comments == []
    for tag, attrs in collector.tags:
        assert tag in markdown.ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name)
            if name == "href":
                assert value is not None
                assert browser_scheme(value) in {None, "http", "https", "mailto"}, value
                assert markdown.url_scheme(value) in {None, "http", "https", "mailto"}, value
            if name == "rel":
                assert value == "noopener noreferrer nofollow"
            if name == "align":
                assert value in {"left", "center", "right"}


def test_renders_common_markdown_to_allowlisted_html() -> None:
    # Given Markdown using headings, emphasis, lists, code, tables and links
    text = (
        "## Title\n\n**b** _e_ ~~s~~ `c`\n\n3. three\n4. four\n\n"
        "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n"
        '[site](https://example.org "Home") <mailto:desk@example.org>\n\n'
        "> quoted\n\n---\n\n```py\nprint('<hi>')\n```"
    )
    # When it is rendered
    html = markdown.render(text)
    # Then the output is exactly the allowlisted HTML, links carrying rel
    rel = 'rel="noopener noreferrer nofollow"'
    assert html == (
        "<h2>Title</h2>\n"
        "<p><strong>b</strong> <em>e</em> <s>s</s> <code>c</code></p>\n"
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'
        "<table>\n<thead>\n<tr>\n"
        '<th align="left">a</th>\n<th align="right">b</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td align="left">1</td>\n<td align="right">2</td>\n'
        "</tr>\n</tbody>\n</table>\n"
        f'<p><a href="https://example.org" title="Home" {rel}>site</a> '
        f'<a href="mailto:desk@example.org" {rel}>mailto:desk@example.org</a></p>\n'
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n"
        "<pre><code>print('&lt;hi&gt;')\n</code></pre>\n"
    )
    assert isinstance(html, SafeString)


def test_raw_html_is_shown_as_text() -> None:
    # Given Markdown with raw HTML
    # When it is rendered
    html = markdown.render('a <b onclick="x()">bold</b> word')
    # Then the HTML appears escaped, as the author typed it
    assert html == '<p>a &lt;b onclick="x()"&gt;bold&lt;/b&gt; word</p>\n'


def test_images_become_links_to_the_image() -> None:
    # Given a Markdown image
    # When it is rendered
    html = markdown.render('![the *diagram*](https://example.org/d.png "Figure 1")')
    # Then it is a link labelled with the alt text, never an <img>
    assert html == (
        '<p><a href="https://example.org/d.png" title="Figure 1" '
        'rel="noopener noreferrer nofollow">the diagram</a></p>\n'
    )


def test_code_about_script_is_escaped_and_valid() -> None:
    # Given Markdown that talks about <script> in code
    text = "Use `<script>` carefully:\n\n```\n<script>alert(1)</script>\n```"
    # When it is validated and rendered
    markdown.validate(text)
    html = markdown.render(text)
    # Then it is accepted and shown escaped
    assert html == (
        "<p>Use <code>&lt;script&gt;</code> carefully:</p>\n"
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n"
    )


def test_disguised_links_lose_their_target() -> None:
    # Given links whose scheme is hidden by entities, percent escapes or case
    for text in ["[x](jav&#x61;script:alert(1))", "[x](javascript%3Aalert(1))", "<JAVASCRIPT:x>"]:
        # When rendered
        html = markdown.render(text)
        # Then no href survives
        assert "href" not in html, text


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_markdown_renders_safely(text: str) -> None:
    assert_safe(markdown.render(text))


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_markdown_is_refused(text: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        markdown.validate(text)
    assert caught.value.messages
    assert all(m.endswith(".") for m in caught.value.messages)
    assert {e.code for e in caught.value.error_list} == {"unsafe_markdown"}


@pytest.mark.parametrize("text", FINE)
def test_normal_markdown_is_accepted_and_safe(text: str) -> None:
    markdown.validate(text)
    assert_safe(markdown.render(text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[x](jav&#x61;script:alert(1))", "Links and images may not use “javascript:” addresses."),
        ("[x](data:text/html,hi)", "Links and images may not use “data:” addresses."),
        (
            "<script>alert(1)</script>",
            "HTML <script> elements are not allowed. Put code in backticks.",
        ),
        ("<img src=x onerror=alert(1)>", "HTML event handlers (onerror=) are not allowed."),
        ('<a href="vbscript:x">x</a>', "HTML attributes may not contain script addresses."),
    ],
)
def test_refusals_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        markdown.validate(text)
    assert caught.value.messages == [message]


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("jav&#x61;script:x", "javascript"),
        ("java\tscript:x", "javascript"),
        ("JaVaScRiPt:x", "javascript"),
        (" \x01javascript:x", "javascript"),
        ("jav&amp;#x61;script:x", "javascript"),
        ("HTTPS://example.org", "https"),
        ("/tickets/1", None),
        ("#top", None),
        ("relative/path:with-colon", None),
    ],
)
def test_url_scheme_sees_through_encoding(url: str, scheme: str | None) -> None:
    assert markdown.url_scheme(url) == scheme


@pytest.mark.parametrize("text", ["<![0", "<![A:", "<!DOCTYPE", "</", "<a b='", "&#xdeadbeef;"])
def test_validate_copes_with_malformed_html(text: str) -> None:
    # Found by hypothesis: Python 3.11's HTML parser asserts on some "<![" sections
    markdown.validate(text)
    assert_safe(markdown.render(text))


def test_template_filter_renders_markdown() -> None:
    # Given a template using the filter, and text with Markdown and raw HTML
    template = Template("{% load steward_markdown %}<div>{{ text|markdown }}</div>")
    # When rendered with autoescaping on
    html = template.render(Context({"text": "**hi** <script>x</script>"}))
    # Then the Markdown is HTML and the raw HTML is escaped exactly once
    assert html == "<div><p><strong>hi</strong> &lt;script&gt;x&lt;/script&gt;</p>\n</div>"


def test_template_filter_renders_none_as_nothing() -> None:
    template = Template("{% load steward_markdown %}{{ text|markdown }}")
    assert template.render(Context({"text": None})) == ""


FRAGMENTS = [
    *DANGEROUS,
    *FINE,
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "!",
    "`",
    "*",
    "_",
    "~~",
    "|",
    "\n",
    "\n\n",
    "    ",
    "&",
    "&#",
    ";",
    ":",
    '"',
    "'",
    "=",
    "javascript",
    "data",
    "on",
    "load",
    "script",
    "http://",
    "%3A",
    "&colon;",
    "\t",
    "\x00",
    "\u202e",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=16).map(
            "".join
        ),
    )
)
def test_any_text_renders_to_allowlisted_html(text: str) -> None:
    # Given any text at all, When rendered, Then only allowlisted tags, attributes and schemes
    assert_safe(markdown.render(text))
    # and validate() either accepts it or refuses it with a RuleViolation, nothing else
    with contextlib.suppress(RuleViolation):
        markdown.validate(text)
