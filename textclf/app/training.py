"""Training on the page: the Train button, a retrain on every change, a progress bar and the
curves growing epoch by epoch, and the server's few training slots shared by every session."""

from __future__ import annotations

import contextlib
import threading
import time

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from textclf import charts
from textclf.app import runs
from textclf.app.cache import OwnData
from textclf.app.source import LIMITS, data_for
from textclf.config import TrainConfig
from textclf.data import Corpus
from textclf.features import Features
from textclf.pipeline import Run
from textclf.pipeline import run as run_training

CHART_EVERY = 0.3  # seconds between redraws of the live charts: each costs ~50 ms to build and send
_SLOTS = threading.BoundedSemaphore(LIMITS.concurrent_runs) if LIMITS.concurrent_runs else None


def training_ui(
    config: TrainConfig, own: OwnData | None, corpus: Corpus, features: Features
) -> tuple[Run, Corpus, Features]:
    """The run to show, trained now if asked (Train), if there is none, or if the settings
    changed and every change retrains; with the data it learned from."""
    run = st.session_state.get("run")
    auto = st.sidebar.toggle("Retrain on every change", value=True, key="auto")
    pressed = st.button(
        "Train", type="primary", help="Train a new network with the sidebar's settings"
    )
    stale = run is not None and (run.config != config or run.data_source != own)
    if pressed or run is None or (auto and stale):
        try:
            new_run = train_ui(config, corpus, features)
        except (MemoryError, RuntimeError) as error:
            if isinstance(error, RuntimeError) and "memory" not in str(error).lower():
                raise  # torch's allocator says "not enough memory" in a RuntimeError
            st.error("This network does not fit in memory here: use fewer hidden units or words.")
            st.stop()
        new_run.data_source = own
        st.session_state["previous"], st.session_state["run"] = run, new_run
        runs.remember(new_run)
        return new_run, corpus, features
    if stale:
        st.info(
            "The settings changed since this network was trained: press Train to see their effect."
        )
        return run, *data_for(run.config, run.data_source)
    return run, corpus, features


CURVES = (
    "**Training loss**, the mean cross-entropy of each epoch",
    "**Accuracy** on the training posts (dashed) and on the test posts it never trains on "
    "(solid): a widening gap is overfitting",
    "**Each category's test accuracy**: which topic it learns first",
)


def live_charts(config: TrainConfig, labels: tuple[str, ...]):
    """Three places side by side (stacked on a phone), each under its title, for the curves;
    and a function that draws a history into them."""
    places = []
    for column, title in zip(st.columns(3), CURVES, strict=True):
        column.caption(title)
        places.append(column.empty())

    def draw(history):
        drawn = (
            charts.loss_chart(history, config.epochs),
            charts.accuracy_chart(history, config.epochs),
            charts.category_accuracy_chart(history, config.epochs, labels),
        )
        for place, chart in zip(places, drawn, strict=True):
            place.altair_chart(chart, width="stretch")

    return places, draw


def train_ui(config: TrainConfig, corpus: Corpus, features: Features) -> Run:
    """Trains with a progress bar and curves that grow as the epochs pass."""
    live = st.empty()  # the progress bar and the curves, cleared when training ends
    with live.container():
        progress = st.progress(0.0, text=f"Training on {features.X_train.shape[0]:,} posts…")
        _, draw = live_charts(config, corpus.label_names)
    history = []
    drawn = [time.monotonic()]

    def on_epoch(record):
        history.append(record)
        progress.progress(
            record.epoch / config.epochs,
            text=f"Epoch {record.epoch}/{config.epochs} · test accuracy {record.test_accuracy:.1%}",
        )
        if record.epoch < config.epochs and time.monotonic() - drawn[0] >= CHART_EVERY:
            draw(history)
            drawn[0] = time.monotonic()

    with training_slot(progress):
        run = run_training(config, corpus, features, on_epoch=on_epoch, should_stop=session_gone)
    live.empty()
    return run


@contextlib.contextmanager
def training_slot(progress):
    """One of the server's few training slots, shared by every session: a training waits its
    turn, under a notice, rather than slowing every other to a crawl or running the host out of
    memory. Given back however the training ends (finished, rerun, session closed)."""
    if _SLOTS is not None and not _SLOTS.acquire(blocking=False):
        while not _SLOTS.acquire(timeout=0.5):
            # an update lets Streamlit stop this script if the person moved on meanwhile
            progress.progress(0.0, text="Other visitors are training: yours starts next…")
            if session_gone():
                st.stop()
    try:
        yield
    finally:
        if _SLOTS is not None:
            _SLOTS.release()


def session_gone() -> bool:
    """True once this page's session has ended (tab closed): its training stops at the next
    epoch instead of running on for nobody."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None or not runtime.exists():
        return False
    return not runtime.get_instance().is_active_session(context.session_id)
