"""The sidebar: every training setting, bound to the page's link (widget key = query parameter
= command-line option), and the presets one click away."""

from __future__ import annotations

import streamlit as st

from textclf.io.links import LinkReading
from textclf.learn.config import (
    ACTIVATIONS,
    BEST_ACCURACY,
    FEATURE_KINDS,
    LIST_SETTINGS,
    METADATA,
    NEWSGROUPS,
    OPTIMIZERS,
    TUTORIAL,
    VOCABULARY_CHOICES,
    WIDTH_STEPS,
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


LABELS = {  # the sidebar's name for each setting (an exercise's checkboxes use them too)
    "categories": "Newsgroups",
    "remove": "Strip from posts",
    "features": "Features",
    "max_features": "Vocabulary size",
    "hidden": "Hidden units per layer",
    "layers": "Hidden layers",
    "dropout": "Dropout",
    "activation": "Activation",
    "optimizer": "Optimizer",
    "lr": "Learning rate",
    "weight_decay": "Weight decay (L2)",
    "train_share": "Share of training posts",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "seed": "Seed",
}


CHOICES = {  # a setting chosen among a few named options: its widget, options and help
    "features": ("radio", FEATURE_KINDS,
                 "counts: how often each word occurs (the tutorial); tfidf: weighted by rarity"),
    "activation": ("selectbox", ACTIVATIONS,
                   "After each hidden layer: relu (the tutorial), tanh, sigmoid or gelu"),
    "optimizer": ("radio", OPTIMIZERS,
                  "adam (the tutorial), or sgd with momentum 0.9 (try a learning rate of 0.01)"),
}  # fmt: skip


def _choice(name: str, **extra):
    """A CHOICES setting (a radio laid out in a row, or a selectbox), the tutorial's selected."""
    widget, options, help_text = CHOICES[name]
    layout = {"horizontal": True} if widget == "radio" else {}
    return getattr(st.sidebar, widget)(
        LABELS[name],
        options,
        index=options.index(getattr(TUTORIAL, name)),
        key=key(name),
        help=help_text,
        **layout,
        **extra,
    )


def _slider(name: str, **extra):
    """A whole number slid over its field's range, the tutorial's value first."""
    return st.sidebar.slider(
        LABELS[name], *_range(name), getattr(TUTORIAL, name), key=key(name), **extra
    )


def _width(also: tuple[int, ...], **extra):
    """Units per layer from steps a thumb can hit (1-1,024 on a phone's slider is 4 units a
    pixel), with the widths a link or a restored run set among them."""
    steps = sorted({*WIDTH_STEPS, *(w for w in also if isinstance(w, int))})
    return st.sidebar.select_slider(
        LABELS["hidden"], steps, value=TUTORIAL.hidden, key=key("hidden"), **extra
    )


def _number(name: str, step: float, **extra):
    """A number typed in, in its field's range, the tutorial's value first, bound to the URL."""
    return st.sidebar.number_input(
        LABELS[name], *_range(name), getattr(TUTORIAL, name), step=step, key=key(name),
        bind="query-params", **extra,
    )  # fmt: skip


def settings_ui(newsgroups: bool = True, exercise: LinkReading | None = None) -> dict:
    """The sidebar's training settings as TrainConfig field values (not yet validated); own texts
    have no newsgroups to choose or headers to strip. An exercise's locked settings show disabled,
    hidden ones not at all; both train with the link's value whatever the page sends."""
    exercise = exercise or LinkReading()
    fixed = exercise.locked + exercise.hidden
    bar = st.sidebar
    bar.header("Settings")
    left, right = bar.columns(2)
    left.button(
        "Tutorial",
        on_click=apply_preset,
        args=(TUTORIAL, fixed),
        help="3 groups, word counts, 2 hidden layers of 100, Adam lr 0.01, batch 150, 10 epochs",
        width="stretch",
    )
    right.button(
        "Best accuracy",
        on_click=apply_preset,
        args=(BEST_ACCURACY, LIST_SETTINGS + fixed),
        help="TF-IDF, one layer of 128, dropout 0.5, batch 64, 4 epochs: beats scikit-learn's "
        "linear models on these groups (README, Benchmark). Keeps your groups and stripping.",
        width="stretch",
    )
    if not newsgroups:
        bar.caption("Newsgroups and stripping apply to 20 Newsgroups only.")

    def control(name: str, draw):
        """draw(**extra) makes the widget; a locked or hidden setting keeps the link's value."""
        if name in exercise.hidden:
            return exercise.fixed(name)
        value = draw(disabled=name in exercise.locked, bind="query-params")
        return exercise.fixed(name) if name in exercise.locked else value

    settings = {
        "categories": TUTORIAL.categories
        if not newsgroups
        else control(
            "categories",
            lambda **x: bar.multiselect(
                LABELS["categories"], NEWSGROUPS, default=list(TUTORIAL.categories),
                key=key("categories"), **x,
            ),
        ),
        "remove": ()
        if not newsgroups
        else control(
            "remove",
            lambda **x: bar.pills(
                LABELS["remove"], METADATA, selection_mode="multi",
                default=list(TUTORIAL.remove), key=key("remove"),
                help="Headers name each group's usual senders and hosts: strip them for honest "
                "scores.",
                **x,
            ),
        ),
        "features": control("features", lambda **x: _choice("features", **x)),
        "max_features": control(
            "max_features",
            lambda **x: bar.select_slider(
                LABELS["max_features"], VOCABULARY_CHOICES, value=TUTORIAL.max_features,
                format_func=lambda cap: "all words" if cap == 0 else f"{cap:,}",
                key=key("max_features"), **x,
            ),
        ),
        "hidden": control(
            "hidden",
            lambda **x: _width(
                (exercise.settings.get("hidden"), st.session_state.get(key("hidden"))), **x
            ),
        ),
        "layers": control("layers", lambda **x: _slider("layers", **x)),
        "dropout": control(
            "dropout",
            lambda **x: bar.slider(
                LABELS["dropout"], 0.0, 0.9, TUTORIAL.dropout, 0.05, key=key("dropout"), **x
            ),
        ),
        "activation": control("activation", lambda **x: _choice("activation", **x)),
        "optimizer": control("optimizer", lambda **x: _choice("optimizer", **x)),
        "lr": control("lr", lambda **x: _number("lr", 0.001, format="%g", disabled=x["disabled"])),
        "weight_decay": control(
            "weight_decay",
            lambda **x: _number(
                "weight_decay", 0.0001, format="%g", disabled=x["disabled"],
                help="Pulls every weight towards zero at every step; trains in plain PyTorch",
            ),
        ),
        "train_share": control(
            "train_share",
            lambda **x: bar.slider(
                LABELS["train_share"], *_range("train_share"), TUTORIAL.train_share, 0.05,
                key=key("train_share"),
                help="Train on fewer posts to see what more data buys (drawn per category)",
                **x,
            ),
        ),
        "batch_size": control(
            "batch_size", lambda **x: _number("batch_size", 10, disabled=x["disabled"])
        ),
        "epochs": control("epochs", lambda **x: _slider("epochs", **x)),
        "seed": control("seed", lambda **x: _number("seed", 1, disabled=x["disabled"])),
    }  # fmt: skip
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
