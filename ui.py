"""The app's panels: small *_ui() functions that draw widgets and results. The only module besides
streamlit_app.py that imports streamlit."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from textclf import charts
from textclf.config import (
    FEATURE_KINDS,
    METADATA,
    NEWSGROUPS,
    TUTORIAL,
    TrainConfig,
    config_fields,
    option_name,
)
from textclf.data import Corpus
from textclf.features import Features, fit_features
from textclf.data import load_newsgroups
from textclf.pipeline import Run, run as run_training
from textclf.predict import predict_text

VOCABULARY_CAPS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 0)


@st.cache_data(max_entries=6, show_spinner="Loading and vectorising the posts…")
def load_data(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> tuple[Corpus, Features]:
    corpus = load_newsgroups(categories, remove)
    return corpus, fit_features(corpus, features, max_features)


def data_for(config: TrainConfig) -> tuple[Corpus, Features]:
    return load_data(config.categories, config.remove, config.features, config.max_features)


def _key(name: str) -> str:
    """Widget key = URL query parameter = command-line option name."""
    return option_name(name)


def restore_tutorial() -> None:
    for name in config_fields():
        value = getattr(TUTORIAL, name)
        st.session_state[_key(name)] = list(value) if isinstance(value, tuple) else value


def _range(name: str) -> tuple:
    meta = config_fields()[name].metadata
    return meta["min"], meta["max"]


def settings_ui() -> dict:
    """The sidebar's training settings, as TrainConfig field values (not yet validated)."""
    bar = st.sidebar
    bar.header("Settings")
    bar.button(
        "Tutorial settings",
        on_click=restore_tutorial,
        help="3 groups, word counts, 2 hidden layers of 100, Adam lr 0.01, batch 150, 10 epochs",
        width="stretch",
    )
    bound = {"bind": "query-params"}
    settings = {
        "categories": bar.multiselect(
            "Newsgroups", NEWSGROUPS, default=list(TUTORIAL.categories), key=_key("categories"), **bound
        ),
        "remove": bar.pills(
            "Strip from posts",
            METADATA,
            selection_mode="multi",
            default=list(TUTORIAL.remove),
            key=_key("remove"),
            help="Headers name the newsgroup's usual senders and hosts: stripping them gives honest scores.",
            **bound,
        ),
        "features": bar.radio(
            "Features", FEATURE_KINDS, index=FEATURE_KINDS.index(TUTORIAL.features),
            horizontal=True, key=_key("features"),
            help="counts: how often each word occurs (the tutorial); tfidf: counts weighted by rarity",
            **bound,
        ),
        "max_features": bar.select_slider(
            "Vocabulary size", VOCABULARY_CAPS, value=TUTORIAL.max_features,
            format_func=lambda cap: "all words" if cap == 0 else f"{cap:,}",
            key=_key("max_features"), **bound,
        ),
        "hidden": bar.slider("Hidden units per layer", *_range("hidden"), TUTORIAL.hidden, key=_key("hidden"), **bound),
        "layers": bar.slider("Hidden layers", *_range("layers"), TUTORIAL.layers, key=_key("layers"), **bound),
        "dropout": bar.slider("Dropout", 0.0, 0.9, TUTORIAL.dropout, 0.05, key=_key("dropout"), **bound),
        "lr": bar.number_input(
            "Learning rate (Adam)", *_range("lr"), TUTORIAL.lr, step=0.001, format="%g", key=_key("lr"), **bound
        ),
        "batch_size": bar.number_input("Batch size", *_range("batch_size"), TUTORIAL.batch_size, step=10, key=_key("batch_size"), **bound),
        "epochs": bar.slider("Epochs", *_range("epochs"), TUTORIAL.epochs, key=_key("epochs"), **bound),
        "seed": bar.number_input("Seed", *_range("seed"), TUTORIAL.seed, step=1, key=_key("seed"), **bound),
    }
    settings["categories"] = tuple(settings["categories"] or ())
    settings["remove"] = tuple(settings["remove"] or ())
    return settings


def train_ui(config: TrainConfig) -> Run:
    """Trains with a progress bar and a chart that grows each epoch."""
    corpus, features = data_for(config)
    progress = st.progress(0.0, text=f"Training on {features.X_train.shape[0]:,} posts…")
    chart = st.empty()
    history = []

    def on_epoch(record):
        history.append(record)
        progress.progress(
            record.epoch / config.epochs,
            text=f"Epoch {record.epoch}/{config.epochs} · test accuracy {record.test_accuracy:.1%}",
        )
        chart.altair_chart(charts.history_chart(history, config.epochs), width="stretch")

    run = run_training(config, corpus, features, on_epoch=on_epoch)
    progress.empty()
    chart.empty()
    return run


def results_ui(run: Run, previous: Run | None) -> None:
    report = run.report
    delta = None
    if previous is not None:
        delta = f"{(report.accuracy - previous.report.accuracy) * 100:+.2f} points since the last run"
    left, middle, right = st.columns(3)
    left.metric("Test accuracy", f"{report.accuracy:.2%}", delta=delta)
    middle.metric("Training loop", f"{run.train_seconds:.2f} s")
    right.metric("Vocabulary", f"{len(run.classifier.vectorizer.vocabulary_):,} words")
    st.altair_chart(charts.history_chart(run.history, run.config.epochs), width="stretch")

    st.subheader("Where it goes wrong")
    st.caption("Rows: the post's true group. Columns: the network's answer. The diagonal is right.")
    st.altair_chart(charts.confusion_chart(report))

    st.subheader("Each category against the rest")
    columns = st.columns(min(4, len(report.per_class)))
    for i, scores in enumerate(report.per_class):
        with columns[i % len(columns)]:
            st.markdown(f"**{scores.label}**")
            st.altair_chart(charts.one_vs_rest_chart(scores))
            st.caption(
                f"precision {scores.precision:.3f} · recall {scores.recall:.3f} · F1 {scores.f1:.3f}"
            )
    table = pd.DataFrame(
        [
            {
                "category": s.label,
                "precision": s.precision,
                "recall": s.recall,
                "F1": s.f1,
                "test posts": s.support,
            }
            for s in report.per_class
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def _fill_random_post(run: Run) -> None:
    corpus, _ = data_for(run.config)
    index = random.randrange(len(corpus.test_texts))
    st.session_state["text"] = corpus.test_texts[index]
    st.session_state["true_group"] = corpus.label_names[corpus.test_labels[index]]


def _forget_true_group() -> None:
    st.session_state.pop("true_group", None)


def prediction_ui(run: Run) -> None:
    st.subheader("Try it")
    st.button("Random test post", on_click=_fill_random_post, args=(run,))
    text = st.text_area(
        "Text to classify",
        key="text",
        height=160,
        placeholder="e.g. The pitcher threw three strikes and the crowd cheered the home run.",
        on_change=_forget_true_group,
    )
    true_group = st.session_state.get("true_group")
    if true_group:
        st.caption(f"This test post’s true group: **{true_group}**")
    prediction = predict_text(run.classifier, text)
    if prediction.message:
        st.info(prediction.message)
    if prediction.probabilities is not None:
        st.altair_chart(charts.probability_chart(prediction.ranked()), width="stretch")
        st.caption(f"{prediction.known_words} of {prediction.total_words} words are in the vocabulary.")
