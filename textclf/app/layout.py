"""Phone first where a phone is used: below 640 px the page puts a one-line title and Try it,
with its answer, before everything else. CSS media queries on keyed containers do it, since a
server cannot know a screen's width; the order of the script stays the desktop's."""

from __future__ import annotations

import streamlit as st

from textclf.io.text import markdown_table

TITLE, TRY_IT = "title", "try_it"  # the keyed containers the phone's layout moves
SIDEBAR_STATUS = "sidebar_status"  # a training's progress atop the settings, on a phone
LAYER_TABLE = "layer_table"  # the network tab's table of layers, keyed for the phone's rule
LAYER_COLUMNS = ("layer", "module", "in → out", "weight as stored", "parameters", "then")
NOT_ON_A_PHONE = ("module", "then")  # what a phone's width leaves out of it
_HIDDEN_CELLS = ", ".join(f":nth-child({LAYER_COLUMNS.index(c) + 1})" for c in NOT_ON_A_PHONE)
PHONE = "max-width: 640px"  # Streamlit's own breakpoint for stacking columns
FIRST_ROWS = 10  # a list of posts shows these; the rest wait in an expander
_LIST = "post_list"  # keyed f"{_LIST}_keep{n}_free{k}_{name}": see post_list
_COLUMNS = range(1, 6)
_LIST_RULES = "\n".join(
    f'  [class*="{_LIST}_keep{n}_"] :is(th, td):nth-child(n+{n + 1}) {{ display: none; }}\n'
    f'  [class*="{_LIST}_keep"][class*="_free{n}_"] td:nth-child({n})'
    " { overflow-wrap: anywhere; }"
    for n in _COLUMNS
)

_STYLE = f"""<style>
.st-key-{TITLE} h4 {{ display: none; }}
/* a Markdown table wider than the screen scrolls inside itself, never the page */
[data-testid="stMarkdownContainer"] table {{ display: block; max-width: 100%; overflow-x: auto; }}
[data-testid="stLayoutWrapper"]:has(> .st-key-{SIDEBAR_STATUS}) {{ display: none; }}
@media ({PHONE}) {{
  /* the settings cover a phone's screen: a training they start shows above them */
  [data-testid="stLayoutWrapper"]:has(> .st-key-{SIDEBAR_STATUS}) {{
    display: flex; position: sticky; top: 0; z-index: 10; background: inherit;
  }}
  .st-key-{SIDEBAR_STATUS} {{ background: #f0f2f6; padding: 0.25rem 0; }}
  .st-key-{LAYER_TABLE} :is(th, td):is({_HIDDEN_CELLS}) {{ display: none; }}
  /* a long word (a grad_fn) breaks rather than push a table past the edge; in a list of
     posts only the free text does, names and numbers stay whole */
  [data-testid="stMarkdownContainer"] :is(th, td) {{ overflow-wrap: anywhere; }}
  [class*="{_LIST}_"] [data-testid="stMarkdownContainer"] :is(th, td) {{
    overflow-wrap: normal; padding: 0.3rem 0.4rem; font-size: 0.9rem;
  }}
{_LIST_RULES}
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
    """The page's style, and the sidebar's place for a training's progress (seen on a phone,
    where the open settings would hide the page's own), kept for this run in the session."""
    st.html(_STYLE)
    st.session_state[SIDEBAR_STATUS] = st.sidebar.container(key=SIDEBAR_STATUS).empty()


def training_status():
    """This run's sidebar place for a training's progress, if the page made one."""
    return st.session_state.get(SIDEBAR_STATUS)


def title(subject: str) -> None:
    """The page's title about subject (Markdown-safe), and its one-line form for a phone."""
    st.title(f"Watch a neural network learn to sort {subject}")
    st.markdown(f"#### Watch a network learn: {subject}")


def post_list(
    name: str, columns: list[str], rows: list[list], phone_keeps: int, free_text: str = "subject"
) -> None:
    """Posts as a Markdown table a phone wraps, with no data grid: the first rows, the rest in an
    expander. Columns come in the order a phone keeps them, the first phone_keeps; on a phone
    only the free_text column breaks a word that will not fit."""
    free = columns.index(free_text) + 1
    assert phone_keeps in _COLUMNS and free <= phone_keeps
    with st.container(key=f"{_LIST}_keep{phone_keeps}_free{free}_{name}"):
        st.markdown(markdown_table(columns, rows[:FIRST_ROWS]))
        if len(rows) > FIRST_ROWS:
            with st.expander(f"The other {len(rows) - FIRST_ROWS:,}"):
                st.markdown(markdown_table(columns, rows[FIRST_ROWS:]))
