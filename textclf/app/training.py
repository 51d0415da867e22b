"""Training on the page: the Train button, a retrain on every change, the place in the server's
queue, a progress bar and curves growing by epoch. Runs live in the server's store, shared by
every session asking for the same data and settings: a page follows one, keeping only its key."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from textclf.app.cache import OwnData, draw_spec, server_store, vega_lite
from textclf.app.layout import training_status
from textclf.app.source import data_for
from textclf.fast.optimizers import make_optimizer
from textclf.inspect import charts
from textclf.inspect.snapshots import watched_run
from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run, example_text
from textclf.learn.train import EpochRecord
from textclf.serve.budget import estimate
from textclf.serve.store import RunKey, RunStore, Training
from textclf.serve.turns import Cancelled, Job

CHART_EVERY = 0.3  # seconds between a page's redraws of the live curves (built once an epoch)
MAX_RUNS = 8  # remembered per session: keys and scores (the runs themselves are the store's)
POLL = 0.5  # seconds between looks at a training followed (and chances to stop following it)


@dataclass(frozen=True)
class Shown:
    """A run as a session holds it: its number in the session and its key in the store, with
    the few numbers its runs table shows once the store has let the run go."""

    number: int
    key: RunKey
    report: Report = field(repr=False, compare=False)
    history: tuple[EpochRecord, ...] = field(repr=False, compare=False)
    train_seconds: float = field(repr=False, compare=False)

    @property
    def config(self) -> TrainConfig:
        return self.key.config


def training_ui(
    config: TrainConfig, own: OwnData | None, corpus: Corpus, features: Features
) -> tuple[Run, Corpus, Features]:
    """The run to show, with the data it learned from: trained now (or followed, or found in the
    store) if asked (Train), if there is none, or if the settings changed and every change
    retrains."""
    shown: Shown | None = st.session_state.get("run")
    auto = st.sidebar.toggle("Retrain on every change", value=True, key="auto")
    pressed = st.button(
        "Train", type="primary", help="Train a new network with the sidebar's settings"
    )
    key = RunKey(config, own)
    stale = shown is not None and shown.key != key
    if pressed or shown is None or (auto and stale):
        run = obtain(key, corpus, features)
        if shown is None or shown.key != key:
            st.session_state["run"] = remember(key, run)
        return run, corpus, features
    data = (corpus, features) if not stale else data_for(shown.config, shown.key.data)
    run = obtain(shown.key, *data)
    if stale:
        st.info(
            "The settings changed since this network was trained: press Train to see their effect."
        )
    return run, *data


def remember(key: RunKey, run: Run) -> Shown:
    """The session's record of a run it asked for (its runs table lists these alone)."""
    number = st.session_state["run_numbers"] = st.session_state.get("run_numbers", 0) + 1
    shown = Shown(number, key, run.report, tuple(run.history), run.train_seconds)
    runs = st.session_state.setdefault("runs", [])
    runs.append(shown)
    del runs[:-MAX_RUNS]
    return shown


def run_of(shown: Shown | RunKey) -> Run:
    """The run behind a session's record or a key: from the store, or trained again (the same
    network) if the store let it go. What a page keeps between reruns (fragments' arguments,
    buttons' callables) holds keys and finds runs here, so that a run let go is freed."""
    key = shown.key if isinstance(shown, Shown) else shown
    return obtain(key, *data_for(key.config, key.data))


def obtain(key: RunKey, corpus: Corpus, features: Features) -> Run:
    """key's run from the store; if it is not there, queued and trained, with this page
    following its progress (as every other page that asks for it meanwhile does)."""
    store = server_store()
    training = store.get(key)
    if training is not None and training.run is not None:
        return _shown(training)

    def recipe(should_stop, on_epoch) -> Run:
        found = watched_run(
            key.config,
            corpus,
            features,
            probe=example_text(corpus, own=key.data is not None),
            on_epoch=on_epoch,
            should_stop=should_stop,
            optimizer_for=make_optimizer,
        )
        found.data_source = key.data
        return found

    found = estimate(key.config, features.X_train, features.X_test.shape[0])
    training = store.request(key, recipe, found.seconds, found.peak_bytes)
    return follow(store, training, corpus.label_names)


def follow(store: RunStore, training: Training, labels: tuple[str, ...]) -> Run:
    """Shows training's place in the queue, then its epochs as they come, until it is done."""
    config = training.key.config
    if not training.ended.is_set():
        live = st.empty()  # the queue's notice, the progress bar and the curves, while training
        with live.container():
            progress = st.progress(0.0, text=_progress_text(store, training, []))
            places = curve_places()
        drawn, drawn_at = 0, 0.0
        side = training_status()  # on a phone, above the settings that started it
        with store.following(training):
            while not training.ended.is_set():
                training.wait(POLL)
                history = list(training.history)
                done = history[-1].epoch / config.epochs if history else 0.0
                # also where Streamlit stops this script if the person moved on
                said = _progress_text(store, training, history)
                for place in (progress, side) if side is not None else (progress,):
                    place.progress(done, text=said)
                if len(history) > drawn and time.monotonic() - drawn_at >= CHART_EVERY:
                    specs = store.derived(  # built once an epoch for every follower
                        training,
                        ("curves", len(history)),
                        lambda h=history: [vega_lite(c) for c in curves(h, config.epochs, labels)],
                    )
                    for place, spec in zip(places, specs, strict=True):
                        draw_spec(place, spec)
                    drawn, drawn_at = len(history), time.monotonic()
                if session_gone():
                    st.stop()
        live.empty()
        if side is not None:
            side.empty()
    return _shown(training)


def _shown(training: Training) -> Run:
    """training's run, with a word if it was cut short; or its one sentence, and the page stops."""
    if training.error:
        st.error(training.error)
        st.stop()
    if training.limit_note:
        st.warning(f"This run was {training.limit_note}: what it learned so far is shown.")
    return training.run


def _progress_text(store: RunStore, training: Training, history: list[EpochRecord]) -> str:
    if training.state == "queued":
        place, seconds = store.turns.ahead(training.job)
        if place <= 1 and seconds < 1:  # nobody else's work ahead: it is about to start
            return "Training starts…"
        return (
            f"Other visitors' networks are training: yours is {_ordinal(place)} in line, "
            f"about {_duration(seconds)}…"
        )
    if len(history) < 2:  # epoch 0, the network before any step, at most
        return "Training: the first epoch…"
    record = history[-1]
    return (
        f"Epoch {record.epoch}/{training.key.config.epochs} · test accuracy "
        f"{record.test_accuracy:.1%}"
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 90 else f"{seconds / 60:.0f} minutes"


@contextlib.contextmanager
def heavy_work(seconds: float, need: int):
    """For work on a page as heavy as a training (a traced step copies the network with its
    gradient and Adam's moments): it takes its turn in the server's queue, under a notice."""
    turns = server_store().turns
    job = Job(seconds, need)
    progress = st.progress(0.0, text="Starting…")

    def show_place() -> bool:  # asked while waiting, under the queue's (reentrant) lock
        place, wait = turns.ahead(job)
        progress.progress(0.0, text=f"{_ordinal(place)} in line, about {_duration(wait)}…")
        return session_gone()

    try:
        turns.take(job, give_up=show_place)
    except Cancelled:
        st.stop()
    try:
        progress.progress(0.5, text="Working…")
        yield
    finally:
        turns.leave(job)
        progress.empty()


CURVES = (
    "**Training loss**, the mean cross-entropy of each epoch",
    "**Accuracy** on the training posts (dashed) and on the test posts it never trains on "
    "(solid), from chance to 1: a widening gap is overfitting",
    "**Each category's test accuracy**: which topic it learns first",
)


def curve_places() -> list:
    """Three places side by side (stacked on a phone), each under its title, for the curves."""
    places = []
    for column, title in zip(st.columns(3), CURVES, strict=True):
        column.caption(title)
        places.append(column.empty())
    return places


def curves(history: list[EpochRecord], epochs: int, labels: tuple[str, ...]) -> tuple:
    return (
        charts.loss_chart(history, epochs),
        charts.accuracy_chart(history, epochs, chance=1 / len(labels)),
        charts.category_accuracy_chart(history, epochs, labels),
    )


def session_gone() -> bool:
    """True once this page's session has ended (tab closed): it stops following."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None or not runtime.exists():
        return False
    return not runtime.get_instance().is_active_session(context.session_id)
