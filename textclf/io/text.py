"""Strings from files, made safe to show on a terminal: shown, never obeyed."""

from __future__ import annotations

import numbers
import re
import unicodedata

# Control characters (ESC starts a terminal's commands), format characters (bidi overrides
# reorder what is shown), line and paragraph separators, surrogates, private and unassigned ones.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    if unicodedata.category(char) not in UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """text with every character a terminal could act on written as a Python escape (\\x1b,
    \\n, \\u202e) and backslashes doubled, so the result reads back to exactly text; letters,
    spaces and punctuation of any script are kept as they are."""
    if text.isprintable() and "\\" not in text:  # the usual case: nothing to escape
        return text
    return "".join(map(_escape, text))


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# GFM links addresses, www. and http:// after escapes are read (remark-gfm works on the parsed
# text), so no escape stops them: an invisible word joiner (U+2060) after each @, and before
# the . or : that would complete www. or a scheme, does.
WORD_JOINER = "\u2060"
_SCHEMES = ("http", "https", "ftp", "mailto", "xmpp")
_AUTOLINK = re.compile(
    "|".join(
        [r"(?<=@)(?!\u2060)", r"(?i:(?<=www)(?=\.))"] + [f"(?i:(?<={s})(?=:))" for s in _SCHEMES]
    )
)
_INDENT = re.compile(r"^[ \t]+", re.M)


def markdown_literal(text: str) -> str:
    """text as Streamlit markdown that shows exactly text, never markup: all ASCII punctuation
    escaped (CommonMark allows it, and it stops every construct at once), links kept off by a word
    joiner, line-leading spaces and tabs non-breaking (four open a code block); line breaks stay."""
    return markdown_layout(markdown_escaped(unlinked(text)))


def markdown_escaped(text: str) -> str:
    """markdown_literal for a piece of a text already unlinked() whole (a www and its . may be
    pieces apart): its punctuation escaped, its spaces as they are (so that a line of several
    pieces can still wrap between words)."""
    return _PUNCTUATION.sub(r"\\\1", text.replace("\r\n", "\n").replace("\r", "\n"))


def unlinked(text: str) -> str:
    """text with a word joiner where GFM would start a link (see WORD_JOINER)."""
    return _AUTOLINK.sub(WORD_JOINER, text)


def markdown_layout(markdown: str) -> str:
    """Escaped markdown laid out as its text: indentation kept visible without opening a code
    block, each line break a line break."""
    indented = _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), markdown)
    return indented.replace("\n", "  \n")


def markdown_table(columns: list[str], rows: list[list]) -> str:
    """A GFM table of rows, numbers right-aligned: plain text the browser wraps at a phone's
    width, and no data grid for it to fetch and draw. Text cells are shown literally."""

    def is_number(value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    def whole(value) -> bool:
        return isinstance(value, numbers.Integral) or float(value).is_integer()

    def cell(value, counts: bool = False) -> str:
        if not is_number(value):
            return markdown_escaped(unlinked(str(value))).replace("\n", " ")
        if counts:
            return f"{int(value):,}"
        if value != value or abs(value) >= 1e-4:  # NaN, or as many decimals as a probability
            return f"{value:,.4f}"
        return f"{value:.1e}"  # a tiny probability, not 0.0000

    numeric = [bool(rows) and all(is_number(r[i]) for r in rows) for i in range(len(columns))]
    # a column of whole numbers is counts; in any other a 1.0 is a probability: 1.0000
    counts = [n and all(whole(r[i]) for r in rows) for i, n in enumerate(numeric)]
    lines = [
        "| " + " | ".join(map(cell, columns)) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
        *("| " + " | ".join(map(cell, row, counts)) + " |" for row in rows),
    ]
    return "\n".join(lines)


_SUBJECT = re.compile(r"^Subject:\s*(.*)$", re.M)


def subject_line(post: str, limit: int = 120) -> str:
    """A post's subject line, or its first non-blank line when headers were stripped: what names
    a post in a table or a tooltip."""
    match = _SUBJECT.search(post)
    line = match.group(1) if match else next((s for s in post.splitlines() if s.strip()), "")
    return line.strip()[:limit] or "(empty post)"
