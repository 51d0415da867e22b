"""Try it: any text, the network's probabilities for it, and why, word by word."""

from __future__ import annotations

import random

import streamlit as st

from textclf.app.cache import chart, derived, key_of
from textclf.app.layout import TRY_IT
from textclf.app.share import share_ui
from textclf.app.source import data_for
from textclf.inspect import charts
from textclf.inspect.explain import explain, highlighted_markdown
from textclf.inspect.snapshots import PROBE
from textclf.io.text import markdown_literal
from textclf.learn.data import Corpus
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run
from textclf.learn.predict import predict_text
from textclf.serve.store import RunKey


def _fill_random_post(key: RunKey) -> None:
    corpus, _ = data_for(key.config, key.data)
    index = random.randrange(len(corpus.test_texts))
    st.session_state["text"] = corpus.test_texts[index]
    st.session_state["true_group"] = corpus.label_names[corpus.test_labels[index]]


def _forget_true_group() -> None:
    st.session_state.pop("true_group", None)


def try_it_ui(run: Run, corpus: Corpus, baseline: Report) -> None:
    """Not a fragment: the network's tab draws this text's forward pass, so a new text reruns
    the page (its panels are cached per run: about half a second)."""
    with st.container(key=TRY_IT):  # on a phone, first on the page
        _try_it(run, corpus, baseline)


def _try_it(run: Run, corpus: Corpus, baseline: Report) -> None:
    st.subheader("Try it")
    left, right = st.columns([1, 1])
    text = left.text_area(
        "Text to classify",
        key="text",
        height=140,
        placeholder=f"e.g. {run.snapshots.probe if run.snapshots else PROBE}",
        on_change=_forget_true_group,
    )
    # a tap outside the box sends the text: the button is that tap, where a thumb expects it
    left.button("Classify", type="primary", icon=":material/send:")
    true_group = st.session_state.get("true_group")
    if true_group:
        left.caption(f"This test post’s true group: **{markdown_literal(true_group)}**")
    with st.container(horizontal=True):
        st.button("Random test post", on_click=_fill_random_post, args=(key_of(run),))
        share_ui(run, corpus, baseline)  # in this panel: the link carries the text as it is now
    prediction = predict_text(run.classifier, text)
    with right:
        if prediction.message:
            st.info(prediction.message)
        if prediction.probabilities is None:
            return
        label, probability = prediction.ranked()[0]
        labels = run.report.labels
        st.markdown(f"Most likely: **{markdown_literal(label)}** ({probability:.1%})")
        said = derived(run, "reliability", run.reliability).bin_of(probability)
        if said is not None:
            st.caption(
                f"On the test posts, when the network said {said.low:.0%}-{said.high:.0%}, it "
                f"was right {said.accuracy:.0%} of the time ({said.count:,} posts)."
            )
        ranked = prediction.ranked()
        chart(st, run, ("probabilities", text), lambda: charts.probability_chart(ranked, labels))
        st.caption(
            f"{prediction.known_words} of {prediction.total_words} words are in the vocabulary."
        )
    explanation_ui(run, text, label)


def explanation_ui(run: Run, text: str, top_label: str) -> None:
    """Why this prediction: every word's effect on the chosen category, highlighted in place."""
    explanation = explain(run.classifier, text)
    if explanation is None:
        return
    st.markdown("#### Why")
    if explanation.warning:
        st.warning(explanation.warning)
    labels = list(explanation.labels)
    label = st.selectbox(
        "Explain the probability of",
        labels,
        index=labels.index(top_label),
        key=f"explain_label_{top_label}",  # a new top category: explained first
        help="Each word's effect: how much this category's log-probability drops without it.",
    )
    left, right = st.columns([3, 2])
    left.markdown(highlighted_markdown(run.classifier, text, explanation, label))
    ranked = explanation.ranked(label, top=10)
    if ranked:
        right.markdown(f"**Each word's effect on {markdown_literal(label)}**")
        chart(right, run, ("why", text, label), lambda: charts.contribution_chart(ranked))
    if explanation.unknown:
        shown = ", ".join(explanation.unknown[:20]) + (
            " …" if len(explanation.unknown) > 20 else ""
        )
        st.caption(f"Never seen in training (no effect): {markdown_literal(shown)}")
