"""Phone first where a phone is used: below 640 px the page puts a one-line title and Try it,
with its answer, before everything else. CSS media queries on keyed containers do it, since a
server cannot know a screen's width; the order of the script stays the desktop's."""

from __future__ import annotations

import streamlit as st

TITLE, TRY_IT = "title", "try_it"  # the keyed containers the phone's layout moves
PHONE = "max-width: 640px"  # Streamlit's own breakpoint for stacking columns

_STYLE = f"""<style>
.st-key-{TITLE} h4 {{ display: none; }}
@media ({PHONE}) {{
  .st-key-{TITLE} h1, .st-key-{TITLE} [data-testid="stCaptionContainer"] {{ display: none; }}
  .st-key-{TITLE} h4 {{
    display: block; padding: 0; font-size: 1.05rem;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  }}
  [data-testid="stMainBlockContainer"] {{ padding-top: 3.5rem; }}
  /* a keyed container sits in a wrapper: the wrapper takes its place in the page's column */
  [data-testid="stLayoutWrapper"]:has(> .st-key-{TITLE}) {{ order: -2; }}
  [data-testid="stLayoutWrapper"]:has(> .st-key-{TRY_IT}) {{ order: -1; }}
}}
</style>"""


def phone_first() -> None:
    st.html(_STYLE)


def title(subject: str) -> None:
    """The page's title about subject (Markdown-safe), and its one-line form for a phone."""
    st.title(f"Watch a neural network learn to sort {subject}")
    st.markdown(f"#### Watch a network learn: {subject}")
