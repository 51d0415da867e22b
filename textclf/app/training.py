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
from textclf.budget import MB, estimate
from textclf.config import TrainConfig
from textclf.data import Corpus
from textclf.features import Features
from textclf.memory import (
    KeptRuns,
    release_freed_memory,
    resident_bytes,
    return_large_blocks_at_once,
)
from textclf.pipeline import Run
from textclf.pipeline import run as run_training

CHART_EVERY = 0.3  # seconds between redraws of the live charts: each costs ~50 ms to build and send
_SLOTS = threading.BoundedSemaphore(LIMITS.concurrent_runs) if LIMITS.concurrent_runs else None
KEPT = KeptRuns()  # every session's runs, for the server's memory budget
return_large_blocks_at_once()  # so that a released run's weights leave the process
# of the server's budget, left for what no estimate covers: the pages being drawn (their charts,
# tables and explanations: 83 MB over at 8 sessions at once in tests/test_load.py without it)
HEADROOM_MB = 128
DRAWING_PATIENCE = 10  # seconds to wait for pages being drawn to give their memory back
_TRAINING = [0]  # trainings under way in this server, under _COUNT
_COUNT = threading.Lock()


def training_ui(
    config: TrainConfig, own: OwnData | None, corpus: Corpus, features: Features
) -> tuple[Run, Corpus, Features]:
    """The run to show, trained now if asked (Train), if there is none, or if the settings
    changed and every change retrains; with the data it learned from. Draw it under
    drawing(run), so that no other visitor's training releases it meanwhile."""
    run = st.session_state.get("run")
    auto = st.sidebar.toggle("Retrain on every change", value=True, key="auto")
    pressed = st.button(
        "Train", type="primary", help="Train a new network with the sidebar's settings"
    )
    stale = run is not None and (run.config != config or run.data_source != own)
    if pressed or run is None or (auto and stale):
        new_run = _trained(config, corpus, features)
        new_run.data_source = own
        st.session_state["previous"], st.session_state["run"] = run, new_run
        runs.remember(new_run)
        return new_run, corpus, features
    data = (corpus, features) if not stale else data_for(run.config, run.data_source)
    if run.released:  # its weights went to other visitors: the same settings and seed again
        st.info(
            f"Run #{run.number}'s network was set aside to make room for other visitors: "
            "trained again from its settings and seed."
        )
        again = _trained(run.config, *data)
        again.data_source, again.number = run.data_source, run.number
        runs.replace(run, again)
        st.session_state["run"] = run = again
    if stale:
        st.info(
            "The settings changed since this network was trained: press Train to see their effect."
        )
    return run, *data


class NoRoom(Exception):
    """The server has no memory for this work now, and no training under way will free any."""


def _trained(config: TrainConfig, corpus: Corpus, features: Features) -> Run:
    """train_ui, or one sentence and the page stops: no room on the server, or (torch's
    allocator says it in a RuntimeError) no memory at all."""
    try:
        return train_ui(config, corpus, features)
    except NoRoom as error:
        st.error(str(error))
    except (MemoryError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and "memory" not in str(error).lower():
            raise
        st.error("This network does not fit in memory here: use fewer hidden units or words.")
    st.stop()


CURVES = (
    "**Training loss**, the mean cross-entropy of each epoch",
    "**Accuracy** on the training posts (dashed) and on the test posts it never trains on "
    "(solid): a widening gap is overfitting",
    "**Each category's test accuracy**: which topic it learns first",
)


@contextlib.contextmanager
def drawing(run: Run):
    """While the page draws run, no other visitor's training releases its weights."""
    with KEPT.showing(run):
        if run.released:  # set aside since training_ui looked: the next run trains it again
            st.rerun()
        yield


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

    need = estimate(config, features.X_train, features.X_test.shape[0]).peak_bytes
    with training_slot(progress, need):
        run = run_training(config, corpus, features, on_epoch=on_epoch, should_stop=session_gone)
    live.empty()
    return run


@contextlib.contextmanager
def heavy_work(need: int):
    """For work on a page that costs as much as training (a traced step copies the network
    with its gradient and Adam's moments): it takes a training slot and its room too, or
    raises NoRoom."""
    progress = st.progress(0.0, text="Working…")
    try:
        with training_slot(progress, need):
            yield
    finally:
        progress.empty()


@contextlib.contextmanager
def training_slot(progress, need: int = 0):
    """One of the server's few training slots, shared by every session, and room for need more
    bytes under the server's memory budget: a training waits its turn, under a notice, rather
    than slowing every other to a crawl or running the host out of memory. Room is made by
    releasing the runs shown least recently (any session's, not this one's) and, failing that,
    by waiting for the trainings under way; with none under way and still no room, the page
    says so and stops. Everything is given back however the training ends."""
    if _SLOTS is not None and not _SLOTS.acquire(blocking=False):
        while not _SLOTS.acquire(timeout=0.5):
            # an update lets Streamlit stop this script if the person moved on meanwhile
            progress.progress(0.0, text="Other visitors are training: yours starts next…")
            if session_gone():
                st.stop()
    try:
        _make_room(progress, need)
        with _COUNT:
            _TRAINING[0] += 1
        try:
            yield
        finally:
            with _COUNT:
                _TRAINING[0] -= 1
            release_freed_memory()  # the optimiser's state and the training's temporaries
            _make_room(None, 0)  # the new run is kept: others may have to give way
    finally:
        if _SLOTS is not None:
            _SLOTS.release()


def _make_room(progress, need: int) -> None:
    """Under the server's budget with need bytes more (see training_slot)."""
    if not LIMITS.server_mb:
        return
    budget = (LIMITS.server_mb - HEADROOM_MB) * MB

    def fits() -> bool:
        return resident_bytes() + need <= budget

    mine = (st.session_state.get("run"),)  # this page's run is never released for its own
    KEPT.release_until(fits, spare=mine)
    patience = time.monotonic() + DRAWING_PATIENCE
    while not fits() and progress is not None:
        with _COUNT:
            others = _TRAINING[0]
        drawn = KEPT.drawing() and time.monotonic() < patience  # pages finish in seconds
        if not others and not drawn:  # nothing under way will give memory back
            release_freed_memory()
            if fits():
                break
            raise NoRoom(
                f"This server is short of memory for this network now ({need / MB:,.0f} MB "
                "more is needed): choose fewer hidden units or words, or try again in a minute."
            )
        progress.progress(0.0, text="Waiting for other visitors to free memory…")
        time.sleep(0.5)
        if session_gone():
            st.stop()
        KEPT.release_until(fits, spare=mine)


def session_gone() -> bool:
    """True once this page's session has ended (tab closed): its training stops at the next
    epoch instead of running on for nobody."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None or not runtime.exists():
        return False
    return not runtime.get_instance().is_active_session(context.session_id)
