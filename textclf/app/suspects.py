"""Suspect labels, on demand: the test posts whose given label the network doubts most when it
never saw that label, each a click away from its text and the words that decided."""

from __future__ import annotations

import streamlit as st

from textclf.app.cache import LIMITS, derived, key_of, own_file_texts
from textclf.app.layout import post_list
from textclf.app.source import file_bytes
from textclf.app.training import heavy_work
from textclf.fast.optimizers import make_optimizer
from textclf.inspect.explain import explain, highlighted_markdown
from textclf.inspect.suspects import FOLDS, out_of_sample_log_probabilities, rank_suspects
from textclf.io.text import markdown_literal, subject_line
from textclf.learn.data import Corpus, load_newsgroups
from textclf.learn.features import Features
from textclf.learn.pipeline import Run
from textclf.serve.budget import estimate
from textclf.serve.memory import release_freed_memory
from textclf.serve.store import RunKey

SHOWN = 30  # suspects listed on the page (the command line gives any number)
SUSPECTS = "suspects"  # the store keeps a run's ranking under this name: its card counts them
HOW = (
    f"Each test post is scored by a network trained on the training posts and {FOLDS - 1} of "
    f"{FOLDS} parts of the test posts, never on that post's label ({FOLDS}-fold within the test "
    "set), with this run's settings. Listed: the posts it answers otherwise, the least believed "
    "label first. A suspect is a post to read, not proof that its label is wrong."
)


def _ask(key: RunKey) -> None:
    st.session_state["suspects_asked"] = key


def suspects_ui(run: Run, corpus: Corpus, features: Features) -> None:
    st.markdown("#### Suspect labels")
    st.caption(HOW)
    found = estimate(run.config, features.X_train, features.X_test.shape[0])
    seconds = FOLDS * found.seconds * 1.3  # the folds train on the test posts too
    if LIMITS.run_seconds and seconds > LIMITS.run_seconds:
        st.info(
            f"Searching would take about {seconds:.0f} s here, over this server's "
            f"{LIMITS.run_seconds} s for a run: try fewer groups or a smaller network."
        )
        return
    if st.session_state.get("suspects_asked") != key_of(run):
        st.button(
            "Find suspect labels",
            on_click=_ask,
            args=(key_of(run),),
            help=f"Trains {FOLDS} networks: about {max(1, round(seconds))} s",
        )
        return

    def search():
        with heavy_work(seconds, found.peak_bytes):
            texts = _texts(run)
            progress = st.progress(0.0, text=f"Training network 1 of {FOLDS}…")

            def on_fold(done: int, folds: int) -> None:
                release_freed_memory()  # the fold's vocabulary and network, before the next's
                progress.progress(done / folds, text=f"{done} of {folds} networks trained…")

            log_probabilities = out_of_sample_log_probabilities(
                run.config, texts, on_fold=on_fold, optimizer_for=make_optimizer
            )
            progress.empty()
        return rank_suspects(log_probabilities, texts.test_labels, texts.label_names)

    suspects = derived(run, SUSPECTS, search)[:SHOWN]
    if not suspects:
        st.caption("None: every test post got its own label back.")
        return
    own = corpus.own_ids(s.position for s in suspects)  # the file's own ids, after the subject
    post_list(
        "suspects",
        ["given → network's guess", "subject", *own, "doubt", "post"],
        [
            [f"{s.given} → {s.guess}", subject_line(corpus.test_texts[s.position]),
             *(ids[n] for ids in own.values()), float(s.score), f"#{s.position}"]
            for n, s in enumerate(suspects)
        ],
        phone_keeps=2,  # a phone's width holds a group's long name and the subject
    )  # fmt: skip
    st.caption(
        "Doubt: minus the log of the probability the out-of-sample network gave the label "
        "(4.6 is 1%, 9.2 is 0.01%)."
    )
    by_position = {s.position: s for s in suspects}  # a new list keeps a post only if it has it
    chosen = st.selectbox(
        "Read post",
        list(by_position),
        format_func=lambda p: (
            f"{corpus.test_label(p)}: {by_position[p].given} → {by_position[p].guess}, "
            f"{subject_line(corpus.test_texts[p])}"
        ),
        key="suspect_read",
    )
    suspect = by_position[chosen]
    post = corpus.test_texts[suspect.position]
    answer = run.report.labels[int(run.test_probabilities[suspect.position].argmax())]
    named = markdown_literal(corpus.test_label(suspect.position))
    st.markdown(
        f"**Post {named}**, labelled {markdown_literal(suspect.given)}; this run's "
        f"network calls it {markdown_literal(answer)}. Words for {markdown_literal(suspect.guess)}"
        " in green, against it in red:"
    )
    explanation = explain(run.classifier, post)
    if explanation is None:
        st.text(post)
    else:
        st.markdown(highlighted_markdown(run.classifier, post, explanation, suspect.guess))


def _texts(run: Run) -> Corpus:
    """The run's texts with its training texts (the page's cached data drops them)."""
    if run.data_source is None:
        return load_newsgroups(run.config.categories, run.config.remove)
    return own_file_texts(run.data_source, *file_bytes(run.data_source))
