"""The sidebar: every training setting, bound to the page's link (widget key = query parameter
= command-line option), and the presets one click away."""

from __future__ import annotations

import streamlit as st

from textclf.config import (
    ACTIVATIONS,
    BEST_ACCURACY,
    FEATURE_KINDS,
    LIST_SETTINGS,
    METADATA,
    NEWSGROUPS,
    OPTIMIZERS,
    TUTORIAL,
    VOCABULARY_CHOICES,
    TrainConfig,
    config_fields,
    option_name,
    settings_problems,
)


def key(name: str) -> str:
    """Widget key = URL query parameter = command-line option name."""
    return option_name(name)


def apply_preset(preset: TrainConfig, keep: tuple[str, ...] = ()) -> None:
    """Sets the sidebar to a preset's values, except the settings named in keep."""
    for name in config_fields():
        if name not in keep:
            value = getattr(preset, name)
            st.session_state[key(name)] = list(value) if isinstance(value, tuple) else value


def _range(name: str) -> tuple:
    meta = config_fields()[name].metadata
    return meta["min"], meta["max"]


def _choice(widget, label: str, name: str, options: tuple[str, ...], help_text: str):
    """A setting chosen among a few named options (a radio laid out in a row, or a selectbox),
    the tutorial's selected, bound to the URL like every setting."""
    layout = {"horizontal": True} if widget.__name__ == "radio" else {}
    return widget(
        label,
        options,
        index=options.index(getattr(TUTORIAL, name)),
        key=key(name),
        help=help_text,
        bind="query-params",
        **layout,
    )


def _number(label: str, name: str, step: float, **extra):
    """A number typed in, in its field's range, the tutorial's value first, bound to the URL."""
    return st.sidebar.number_input(
        label, *_range(name), getattr(TUTORIAL, name), step=step, key=key(name),
        bind="query-params", **extra,
    )  # fmt: skip


def settings_ui(newsgroups: bool = True) -> dict:
    """The sidebar's training settings, as TrainConfig field values (not yet validated). On a
    person's own texts there are no newsgroups to choose or headers to strip."""
    bar = st.sidebar
    bar.header("Settings")
    left, right = bar.columns(2)
    left.button(
        "Tutorial",
        on_click=apply_preset,
        args=(TUTORIAL,),
        help="3 groups, word counts, 2 hidden layers of 100, Adam lr 0.01, batch 150, 10 epochs",
        width="stretch",
    )
    right.button(
        "Best accuracy",
        on_click=apply_preset,
        args=(BEST_ACCURACY, LIST_SETTINGS),
        help="TF-IDF, one layer of 128, dropout 0.5, batch 64, 4 epochs: beats scikit-learn's "
        "linear models on these groups (README, Benchmark). Keeps your groups and stripping.",
        width="stretch",
    )
    bound = {"bind": "query-params"}
    if not newsgroups:
        bar.caption("Newsgroups and stripping apply to 20 Newsgroups only.")
    settings = {
        "categories": TUTORIAL.categories
        if not newsgroups
        else bar.multiselect(
            "Newsgroups",
            NEWSGROUPS,
            default=list(TUTORIAL.categories),
            key=key("categories"),
            **bound,
        ),
        "remove": ()
        if not newsgroups
        else bar.pills(
            "Strip from posts",
            METADATA,
            selection_mode="multi",
            default=list(TUTORIAL.remove),
            key=key("remove"),
            help="Headers name each group's usual senders and hosts: strip them for honest scores.",
            **bound,
        ),
        "features": _choice(
            bar.radio,
            "Features",
            "features",
            FEATURE_KINDS,
            "counts: how often each word occurs (the tutorial); tfidf: weighted by rarity",
        ),
        "max_features": bar.select_slider(
            "Vocabulary size",
            VOCABULARY_CHOICES,
            value=TUTORIAL.max_features,
            format_func=lambda cap: "all words" if cap == 0 else f"{cap:,}",
            key=key("max_features"),
            **bound,
        ),
        "hidden": bar.slider(
            "Hidden units per layer",
            *_range("hidden"),
            TUTORIAL.hidden,
            key=key("hidden"),
            **bound,
        ),
        "layers": bar.slider(
            "Hidden layers", *_range("layers"), TUTORIAL.layers, key=key("layers"), **bound
        ),
        "dropout": bar.slider(
            "Dropout", 0.0, 0.9, TUTORIAL.dropout, 0.05, key=key("dropout"), **bound
        ),
        "activation": _choice(
            bar.selectbox,
            "Activation",
            "activation",
            ACTIVATIONS,
            "After each hidden layer: relu (the tutorial), tanh, sigmoid or gelu",
        ),
        "optimizer": _choice(
            bar.radio,
            "Optimizer",
            "optimizer",
            OPTIMIZERS,
            "adam (the tutorial), or sgd with momentum 0.9 (try a learning rate of 0.01)",
        ),
        "lr": _number("Learning rate", "lr", 0.001, format="%g"),
        "weight_decay": _number(
            "Weight decay (L2)",
            "weight_decay",
            0.0001,
            format="%g",
            help="Pulls every weight towards zero at every step; trains in plain PyTorch",
        ),
        "train_share": bar.slider(
            "Share of training posts",
            *_range("train_share"),
            TUTORIAL.train_share,
            0.05,
            key=key("train_share"),
            help="Train on fewer posts to see what more data buys (drawn per category)",
            **bound,
        ),
        "batch_size": _number("Batch size", "batch_size", 10),
        "epochs": bar.slider(
            "Epochs", *_range("epochs"), TUTORIAL.epochs, key=key("epochs"), **bound
        ),
        "seed": _number("Seed", "seed", 1),
    }
    settings["categories"] = tuple(settings["categories"] or ())
    settings["remove"] = tuple(settings["remove"] or ())
    return settings


def checked_config(settings: dict) -> TrainConfig:
    """The settings as a TrainConfig, or a warning that says what to change (the page stops)."""
    problems = settings_problems(settings)
    if problems:
        st.warning("These settings cannot train: " + "; ".join(problems))
        st.stop()
    return TrainConfig(**settings)
