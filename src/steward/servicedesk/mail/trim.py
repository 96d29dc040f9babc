"""Trimming quoted history and signatures off a reply, so a comment holds only what is new.

The cut happens at the first of: an attribution line (``On ... wrote:``, ``Am ... schrieb
...:``, French, Spanish, Dutch), an ``-----Original Message-----`` style separator, an
Outlook header block (``From:`` followed by ``Sent:``/``Date:`` within a few lines, in English,
German and French), the ``-- `` signature delimiter or a common mobile signature. Lines quoted
with ``>`` are dropped wherever they are (inline answers keep their own lines).
"""

from __future__ import annotations

import re

MAX_TRIM_LINES = 20_000
_OUTLOOK_LOOKAHEAD = 5

_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\b.{0,400}\bwrote:"
    r"|Am\b.{0,400}\bschrieb\b.{0,200}:"
    r"|Le\b.{0,400}\ba écrit\s?:"
    r"|El\b.{0,400}\bescribió:"
    r"|Op\b.{0,400}\bschreef\b.{0,200}:"
    r"|.{0,200}<[^<>\s]{1,100}@[^<>\s]{1,100}>\s+(?:wrote|schrieb):"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}|_{2,})?\s*(?:"
    r"Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Originalnachricht|Forwarded message|Weitergeleitete Nachricht"
    r")\s*(?:-{2,}|_{2,})?\s*$",
    re.IGNORECASE,
)
_UNDERSCORE_RULE = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Van)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Enviado)\s*:\*?\s", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^\s*(?:"
    r"Sent from my \w[\w ]{0,40}"
    r"|Sent from (?:Outlook|Mail|Yahoo Mail|Samsung|my mobile)\b.{0,60}"
    r"|Get Outlook for (?:iOS|Android)"
    r"|Sent with (?:ProtonMail|Proton Mail|BlackBerry).{0,40}"
    r"|Von meinem \w[\w ]{0,40} gesendet"
    r"|Gesendet von (?:meinem|Mail für Windows|Outlook).{0,60}"
    r"|Envoyé de mon \w[\w ]{0,40}"
    r"|Diese Nachricht wurde von meinem .{0,60} gesendet\.?"
    r")\s*\.?\s*$",
    re.IGNORECASE,
)


def trim_reply(body: str) -> str:
    """``body`` without quoted history or signature; the whole body if nothing would remain."""
    lines = body.split("\n")[:MAX_TRIM_LINES]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _is_cut(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text or body.strip()


def _is_cut(lines: list[str], index: int) -> bool:
    line = lines[index][:1000]
    stripped = line.strip()
    if not stripped:
        return False
    if _SIGNATURE.match(line) or _MOBILE.match(line) or _SEPARATOR.match(line):
        return True
    if _ATTRIBUTION.match(line):
        return True
    # Gmail and Apple Mail wrap long attributions over two lines.
    if index + 1 < len(lines) and re.match(r"^\s*(?:On|Am|Le|El|Op)\b", line):
        joined = f"{stripped} {lines[index + 1][:1000].strip()}"
        if _ATTRIBUTION.match(joined):
            return True
    if _UNDERSCORE_RULE.match(line):
        following = [item for item in lines[index + 1 : index + 3] if item.strip()]
        return bool(following) and bool(_OUTLOOK_FROM.match(following[0]))
    if _OUTLOOK_FROM.match(line):
        window = lines[index + 1 : index + 1 + _OUTLOOK_LOOKAHEAD]
        return any(_OUTLOOK_SENT.match(item) for item in window)
    return False
