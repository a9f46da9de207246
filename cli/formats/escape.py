"""Org data is written by strangers (any admin or user can name themselves anything): every value
is escaped for the place it lands in.

- `visible` (reading/words.py's, the one there is): for a terminal. Every C0 and C1 control character, DEL, and the Unicode bidi and
  line/paragraph separators are shown as `\\xNN` / `\\uNNNN` text, so no escape sequence
  (clipboard writes, fake links, screen clears, cursor moves) reaches the terminal.
- `html_text`: `visible`, then HTML's escape: every place of an HTML report.
- `term`: `visible`, then rich's markup escape: for text printed through a rich Console with
  markup on (`EMEA [old]` keeps its brackets; `[link=…]` never becomes a link).
- `md`: CommonMark (and GFM) inline text. The characters that open code, emphasis, links,
  images, raw HTML, entities, strikethrough and table cells are backslash-escaped everywhere,
  and those that open a block (heading, list, quote, setext line, indented code) at the value's
  start; line breaks become visible escapes, so a value never starts a line of its own.
- `md_code`: a code span that no backtick in the value can close early.
"""
from __future__ import annotations

import html
import re

from rich.markup import escape as _markup_escape

from syncdoctor.reading.words import CONTROL as _CONTROL, visible

__all__ = ["html_text", "json_text", "md", "md_code", "safe_url", "term", "visible"]

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&#!])")
_MD_BLOCK_START = re.compile(r"^([-+=])|^(\d+)([.)])")


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def json_text(text: str) -> str:
    """JSON written by json.dumps(ensure_ascii=False) with DEL, C1 controls and bidi controls as
    \\u escapes (json already escapes C0): the same JSON value, harmless on a terminal. Such
    characters can only occur inside JSON strings, where the escape means the same character."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def term(text: object, *, keep_newlines: bool = False) -> str:
    """For a rich Console with markup: controls made visible, markup escaped."""
    return _markup_escape(visible(text, keep_newlines=keep_newlines))


def html_text(text: object) -> str:
    """HTML-escaped, with every control and bidi character shown as an escape, line breaks too
    (a name's line break is the name's, shown as in the text format): the report may be printed
    to a terminal (stdout is the default), where an OSC 52 or `ESC[2J` would act."""
    return html.escape(visible(text))


def md(text: object) -> str:
    """CommonMark (and GFM table-cell) safe inline text, also safe at the start of a line."""
    value = _MD_INLINE.sub(r"\\\1", visible(text))
    value = _MD_BLOCK_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", value)
    stripped = value.lstrip(" \t")  # leading blanks would make an indented code block
    return "".join("&#9;" if c == "\t" else "&#32;" for c in value[:len(value) - len(stripped)]) + stripped


def md_code(text: object) -> str:
    """A CommonMark code span holding `text` literally (controls made visible)."""
    value = visible(text)
    longest = max((len(run) for run in re.findall("`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    # A `|` would end a GFM table cell even inside a code span: keep code spans out of tables.
    return f"{fence}{pad}{value}{pad}{fence}"


def safe_url(url: object) -> str | None:
    """An http(s) URL safe in a Markdown link, an HTML href or a terminal link, or None (then no link is made)."""
    text = str(url)
    if not re.match(r"https?://", text, re.IGNORECASE) or _CONTROL.search(text):
        return None
    return re.sub(r"[\s()<>\\`\"']", lambda m: f"%{ord(m.group()):02X}", text)
