"""Strings from files, made safe to show on a terminal: shown, never obeyed."""

from __future__ import annotations

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
