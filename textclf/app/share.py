"""Links in and out: the link a visitor opened (its settings set the sidebar, its notice says
what could not be used) and the link, and the model file, that share this run."""

from __future__ import annotations

import functools

import streamlit as st

from textclf.app.cache import key_of, server_store
from textclf.app.settings import LABELS, key
from textclf.app.suspects import SUSPECTS
from textclf.inspect.card import model_card
from textclf.inspect.suspects import count_suspects
from textclf.io.links import (
    MAX_TASK_CHARS,
    TEXT_PARAMETER,
    link_query,
    read_link,
    widget_values,
)
from textclf.io.persist import classifier_to_bytes
from textclf.io.text import markdown_literal
from textclf.learn.config import config_fields
from textclf.learn.data import Corpus
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run


def apply_link_once() -> None:
    """Reads the link a session was opened with, on its first run, and adds the prediction text.
    Widgets bound to the URL read their own values; settle_link then corrects them where they
    read something else than what the link's notice says is used."""
    corrections = st.session_state.pop("link_corrections", None)
    if corrections:  # the rerun asked for below: widgets exist now, so their state can be set
        for key, value in corrections.items():
            st.session_state[key] = list(value) if isinstance(value, tuple) else value
    if "link" in st.session_state:
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    reading = read_link(params)
    st.session_state["link"] = reading
    st.session_state["link_was_empty"] = not params  # none, or one Streamlit dropped whole
    st.session_state["link_values"] = widget_values(params, reading)
    if reading.text is not None:
        st.session_state["text"] = reading.text
        del st.query_params[TEXT_PARAMETER]  # the box is unbound: a stale copy would mislead


def settle_link(settings: dict) -> None:
    """Call after the settings widgets, before training: where a widget read a link's value
    otherwise than the notice says (`epochs=2.5` as 2; `categories=a,b` dropped), sets it to
    the value the notice promises and reruns, once."""
    expected = st.session_state.pop("link_values", None) or {}
    names = {key(name): name for name in config_fields()}
    wrong = {key: value for key, value in expected.items() if settings[names[key]] != value}
    if wrong:
        st.session_state["link_corrections"] = wrong
        st.rerun()


# Streamlit reads no query at all past these (its own limits, 1.67) and passes the script none:
# the page would train the defaults as if the link had named nothing. The browser still knows
# the address it opened, and tells, if it had a query, through this small component.
STREAMLIT_MAX_FIELDS = 1000
STREAMLIT_MAX_CHARACTERS = 512 * 1024
ASKED_RUNS = 3  # a session's first runs ask; its answer comes back within the next one
_ADDRESS_OPENED = st.components.v2.component(
    "textclf.address_opened",
    js="""
export default function ({ setStateValue }) {
  const entry = performance.getEntriesByType("navigation")[0];
  const query = new URL(entry ? entry.name : location.href).search.slice(1);
  if (query) setStateValue("query", {characters: query.length, fields: query.split("&").length});
}
""",
)


def dropped_link_note(fields: int, characters: int) -> str | None:
    """A sentence when the address opened had a query that Streamlit dropped whole."""
    if fields > STREAMLIT_MAX_FIELDS or characters > STREAMLIT_MAX_CHARACTERS:
        return (
            f"This link is too long for the page to read ({fields:,} fields, {characters:,} "
            f"characters; Streamlit reads at most {STREAMLIT_MAX_FIELDS:,} fields and "
            f"{STREAMLIT_MAX_CHARACTERS // 1024} Ki characters), so none of its settings were "
            "used: the defaults are shown."
        )
    return None


def _ask_the_browser() -> None:
    """While a session that got no query is young: the address it opened, if it had a query."""
    runs = st.session_state.get("link_asked", 0)
    if runs >= ASKED_RUNS or "link_dropped" in st.session_state:
        return
    st.session_state["link_asked"] = runs + 1
    with st.sidebar:
        opened = _ADDRESS_OPENED(key="address_opened", on_query_change=lambda: None, height=0)
    query = opened.get("query") if opened else None
    if isinstance(query, dict):
        fields, characters = query.get("fields"), query.get("characters")
        if isinstance(fields, int) and isinstance(characters, int):  # as the page's script sends
            st.session_state["link_dropped"] = dropped_link_note(fields, characters)


def link_notice_ui() -> None:
    if st.session_state.get("link_was_empty"):
        _ask_the_browser()
    dropped = st.session_state.get("link_dropped")
    if dropped:
        st.warning(dropped)
    ignored = st.session_state["link"].ignored
    if ignored:
        st.warning(
            "Some of this link's settings could not be used and keep their defaults: "
            + "; ".join(markdown_literal(item) for item in ignored)
            + "."
        )


def task_ui() -> None:
    task = st.session_state["link"].task
    if task:
        st.info(f"**Task:** {markdown_literal(task)}", icon=":material/assignment:")


def exercise_ui(config) -> None:
    """Make an exercise: this run's link, with chosen settings locked or hidden and a task."""
    st.markdown("**Make an exercise**")
    names = [name for name in config_fields() if name in LABELS]
    label = LABELS.get
    locked = st.pills(
        "Lock: shown, but fixed", names, selection_mode="multi", format_func=label,
        key="exercise_lock",
    )  # fmt: skip
    hidden = st.pills(
        "Hide: not shown, fixed", [n for n in names if n not in locked],
        selection_mode="multi", format_func=label, key="exercise_hide",
    )  # fmt: skip
    task = st.text_input(
        "Task", max_chars=MAX_TASK_CHARS, key="exercise_task",
        placeholder="e.g. Find the learning rate at which it answers one group for everything",
    )  # fmt: skip
    if locked or hidden or task.strip():
        query = link_query(config, locked=tuple(locked), hidden=tuple(hidden), task=task)
        st.code(f"{_base_url()}?{query}", language=None, wrap_lines=True)


def _base_url() -> str:
    return (st.context.url or "http://localhost:8501/").split("?")[0]


def _model_file(run_key) -> bytes:
    training = server_store().get(run_key)
    if training is None or training.run is None:
        raise LookupError("this run was let go by the server: train it again to download it")
    return classifier_to_bytes(training.run.classifier)


def _model_card(run_key, corpus: Corpus, baseline: Report, reproduce: str) -> str:
    training = server_store().get(run_key)
    if training is None or training.run is None:
        raise LookupError("this run was let go by the server: train it again for its card")
    ranked = training.derived.get(SUSPECTS)  # if someone searched this run's labels
    suspects = None if ranked is None else count_suspects(ranked)
    return model_card(training.run, corpus, baseline, reproduce, suspects)


def share_ui(run: Run, corpus: Corpus, baseline: Report) -> None:
    """The link that reproduces this run (and the text in the prediction box), the model and its
    card: three buttons, in whatever row the caller is drawing."""
    base = _base_url()
    query = link_query(run.config, st.session_state.get("text") or "")
    with st.popover("Share this run", icon=":material/link:"):
        if run.data_source is not None:
            st.caption(
                "A link cannot carry your file: share the downloaded model, or the file itself."
            )
        else:
            st.caption(
                "Anyone who opens this link trains the same network and sees the same accuracy."
            )
            st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
            exercise_ui(run.config)
    st.download_button(
        "Download model",
        # built only when clicked; it holds the run's key, so that the store can let it go
        data=functools.partial(_model_file, key_of(run)),
        file_name="textclf-model.pt",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        help="Weights, vocabulary, labels and settings in one file: "
        "python -m textclf predict --model textclf-model.pt 'some text'",
    )
    if run.data_source is None:
        plain = link_query(run.config)
        reproduce = f"Open {base}?{plain}" if plain else f"Open {base}"
    else:
        reproduce = f"Train on the file {run.data_source.name} with the options below."
    st.download_button(
        "Download model card",
        data=functools.partial(_model_card, key_of(run), corpus, baseline, reproduce),
        file_name="textclf-model-card.md",
        mime="text/markdown",
        on_click="ignore",
        icon=":material/description:",
        help="One Markdown page: the data and settings, each category's scores, the most "
        "confused pairs, calibration, caveats, and how to train it again",
    )
