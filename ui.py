"""The app's panels: small *_ui() functions that draw widgets and results. The only module besides
streamlit_app.py that imports streamlit."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import random
import re
import tempfile
import threading
import time

import numpy as np
import pandas as pd
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from textclf import charts
from textclf.budget import Limits
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
    format_setting,
    option_name,
)
from textclf.data import (
    Corpus,
    DataUnavailable,
    data_home,
    install_archive,
    writable_data_home,
)
from textclf.explain import MAX_EXPLAINED_CHARS, explain, token_spans
from textclf.features import Features
from textclf.insight import baseline_report, header_artefacts, hidden_map, top_words
from textclf.links import TEXT_PARAMETER, link_query, read_link, widget_values
from textclf.metrics import Report
from textclf.persist import classifier_to_bytes
from textclf.pipeline import Run, load_and_vectorise
from textclf.pipeline import run as run_training
from textclf.predict import predict_text
from textclf.tables import (
    MAX_FILE_MB,
    TEST_SIZE_RANGE,
    DataProblem,
    Table,
    corpus_from_tables,
    read_table,
)
from textclf.text import markdown_escaped, markdown_layout, markdown_literal, unlinked

OWN_FILE_TYPES = ["csv", "tsv", "tab", "txt", "jsonl", "ndjson", "json"]


# Bounded: an entry for all 20 groups holds about 50 MB, and a hosted demo runs for weeks.
@st.cache_data(max_entries=4, show_spinner="Loading and vectorising the posts…")
def load_data(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> tuple[Corpus, Features]:
    # without its training texts (22 MB for all 20 groups, dead weight in every cached copy);
    # the test texts stay for the cell drill-down and the "random test post" button
    return load_and_vectorise(
        TrainConfig(
            categories=categories, remove=remove, features=features, max_features=max_features
        )
    )


def data_for(config: TrainConfig, own: OwnData | None = None) -> tuple[Corpus, Features]:
    """The vectorised data config trains on: its newsgroups, or the person's file."""
    if own is not None:  # "all words" of a stranger's file could be millions
        return own_data(own, config.features, config.max_features or LIMITS.file_words)
    return load_data(config.categories, config.remove, config.features, config.max_features)


@dataclasses.dataclass(frozen=True)
class OwnData:
    """A person's file and their choices for it: what a run on their texts learned from. The
    bytes stay in the session's file store, once per file, found by digest."""

    name: str
    digest: str
    text_column: str
    label_column: str
    test_size: float
    test_name: str = ""
    test_digest: str = ""


def _store_file(upload) -> str:
    """The upload's digest, its bytes kept in the session's file store. Each upload is copied and
    hashed once, not on every rerun (a 50 MB file takes a tenth of a second to hash)."""
    digests = st.session_state.setdefault("upload_digests", {})
    files = st.session_state.setdefault("files", {})
    digest = digests.get(upload.file_id)
    if digest is None or digest not in files:
        data = upload.getvalue()
        digest = digests[upload.file_id] = hashlib.sha256(data).hexdigest()
        files[digest] = data
    return digest


def forget_unused_files() -> None:
    """A file leaves the session when no remembered run or current choice uses it."""
    runs = st.session_state.get("runs", []) + [st.session_state.get("run")]
    own = [r.data_source for r in runs if r is not None and r.data_source is not None]
    own.append(st.session_state.get("own"))
    used = {d for o in own if o is not None for d in (o.digest, o.test_digest)}
    files = st.session_state.get("files", {})
    for digest in [d for d in files if d not in used]:
        files.pop(digest)
    digests = st.session_state.get("upload_digests", {})
    for file_id in [f for f, d in digests.items() if d not in files]:
        digests.pop(file_id)


# Shared by every session (read-only); bounded like load_data: four files of at most 50 MB.
@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def read_upload(digest: str, name: str, _data: bytes) -> Table:
    return read_table(_data, name)


@st.cache_resource(max_entries=4, show_spinner="Vectorising your texts…")
def own_data(own: OwnData, features: str, max_features: int) -> tuple[Corpus, Features]:
    """Not copied per read (cache_resource): the runs of one file share one corpus."""
    files = st.session_state["files"]
    corpus = corpus_from_tables(
        read_upload(own.digest, own.name, files[own.digest]),
        own.text_column,
        own.label_column,
        own.test_size,
        test_table=read_upload(own.test_digest, own.test_name, files[own.test_digest])
        if own.test_digest
        else None,
    )
    return load_and_vectorise(TrainConfig(features=features, max_features=max_features), corpus)


def own_data_ui() -> OwnData | None:
    """The sidebar's data source: None for 20 Newsgroups, else the person's file and columns."""
    bar = st.sidebar
    choice = bar.segmented_control(
        "Data", ["20 Newsgroups", "Your own file"], default="20 Newsgroups", key="source"
    )
    if choice != "Your own file":
        return None
    upload = bar.file_uploader(
        f"Labelled texts: CSV, TSV or JSON Lines (up to {MAX_FILE_MB} MB)",
        type=OWN_FILE_TYPES,
        key="own_file",
        help="One row per text, a header line naming the columns, one column holding the label.",
    )
    restored = st.session_state.get("restored_file")
    if restored is not None and _upload_id(upload) == st.session_state.get("restored_upload"):
        bar.caption(
            f"Using {markdown_literal(restored.name)}, the file of the run you restored. "
            "Upload a file to train on another."
        )
        return restored
    st.session_state.pop("restored_file", None)
    if upload is None:
        st.info(
            "Upload a file of labelled texts in the sidebar: one row per text, a header line, a "
            "text column and a label column. The network trains on it as on the newsgroups."
        )
        st.stop()
    if LIMITS.upload_mb and upload.size > LIMITS.upload_mb * 2**20:
        st.error(
            f"This file is {upload.size / 2**20:.1f} MB and this server takes files of up to "
            f"{LIMITS.upload_mb} MB: upload a sample of its rows."
        )
        st.stop()
    digest = _store_file(upload)
    try:
        table = read_upload(digest, upload.name, st.session_state["files"][digest])
    except DataProblem as error:
        st.error(f"This file cannot be used: {markdown_literal(str(error))}")
        st.stop()
    columns = list(table.frame.columns)
    text_column = bar.selectbox(
        "Text column", columns, index=columns.index(table.text_column), key="text_column"
    )
    label_column = bar.selectbox(
        "Label column", columns, index=columns.index(table.label_column), key="label_column"
    )
    test_upload = bar.file_uploader(
        "Separate test file (optional)", type=OWN_FILE_TYPES, key="own_test_file"
    )
    test_size = bar.slider(
        "Held out for testing",
        *TEST_SIZE_RANGE,
        0.2,
        0.05,
        key="test_size",
        disabled=test_upload is not None,
        help="A stratified share of the rows: each label keeps its proportion in both parts.",
    )
    return OwnData(
        name=upload.name,
        digest=digest,
        text_column=text_column,
        label_column=label_column,
        test_size=test_size,
        test_name=test_upload.name if test_upload else "",
        test_digest=_store_file(test_upload) if test_upload else "",
    )


def _install_archive(path: str) -> None:
    home = writable_data_home()
    install_archive(path, home)
    if home != data_home():  # the usual place is read-only: every later load looks here
        os.environ["SCIKIT_LEARN_DATA"] = str(home)


def archive_ui(error: DataUnavailable) -> None:
    """Offline: the data set from a local copy of its official archive, by path or upload."""
    st.error(markdown_literal(str(error)))
    st.markdown(
        "**Offline?** Give this app the official archive `20news-bydate.tar.gz` (14 MB): "
        "its path on the machine that runs the app, or upload it."
    )
    path = st.text_input("Path of 20news-bydate.tar.gz", key="archive_path")
    upload = st.file_uploader("or upload it", type=["gz", "tgz"], key="archive_file")
    if not path and upload is None:
        st.stop()
    try:
        with st.spinner("Unpacking the archive into scikit-learn's cache (a few seconds)…"):
            if upload is not None:
                with tempfile.NamedTemporaryFile(suffix=".tar.gz") as copy:
                    copy.write(upload.getvalue())
                    copy.flush()
                    _install_archive(copy.name)
            else:
                _install_archive(path.strip())
    except DataUnavailable as failure:
        st.error(markdown_literal(str(failure)))
        st.stop()
    st.rerun()


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
    st.session_state["link_values"] = widget_values(params, reading)
    if reading.text is not None:
        st.session_state["text"] = reading.text
        del st.query_params[TEXT_PARAMETER]  # the box is unbound: a stale copy would mislead


def settle_link(settings: dict) -> None:
    """Call after the settings widgets, before training: where a widget read a link's value
    otherwise than the notice says (`epochs=2.5` as 2; `categories=a,b` dropped), sets it to
    the value the notice promises and reruns, once."""
    expected = st.session_state.pop("link_values", None) or {}
    names = {_key(name): name for name in config_fields()}
    wrong = {key: value for key, value in expected.items() if settings[names[key]] != value}
    if wrong:
        st.session_state["link_corrections"] = wrong
        st.rerun()


def link_notice_ui() -> None:
    ignored = st.session_state["link"].ignored
    if ignored:
        st.warning(
            "Some of this link's settings could not be used and keep their defaults: "
            + "; ".join(markdown_literal(item) for item in ignored)
            + "."
        )


def share_ui(run: Run) -> None:
    """The link that reproduces this run (and the text in the prediction box), and the model."""
    base = (st.context.url or "http://localhost:8501/").split("?")[0]
    query = link_query(run.config, st.session_state.get("text") or "")
    row = st.container(horizontal=True)
    with row.popover("Share this run", icon=":material/link:"):
        if run.data_source is not None:
            st.caption(
                "A link cannot carry your file: share the downloaded model, or the file itself."
            )
        else:
            st.caption(
                "Anyone who opens this link trains the same network and sees the same accuracy."
            )
            st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
    row.download_button(
        "Download model",
        data=lambda: classifier_to_bytes(run.classifier),  # built only when clicked
        file_name="textclf-model.pt",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        help="Weights, vocabulary, labels and settings in one file: "
        "python -m textclf predict --model textclf-model.pt 'some text'",
    )


def _key(name: str) -> str:
    """Widget key = URL query parameter = command-line option name."""
    return option_name(name)


def apply_preset(preset: TrainConfig, keep: tuple[str, ...] = ()) -> None:
    """Sets the sidebar to a preset's values, except the settings named in keep."""
    for name in config_fields():
        if name not in keep:
            value = getattr(preset, name)
            st.session_state[_key(name)] = list(value) if isinstance(value, tuple) else value


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
        key=_key(name),
        help=help_text,
        bind="query-params",
        **layout,
    )


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
            key=_key("categories"),
            **bound,
        ),
        "remove": ()
        if not newsgroups
        else bar.pills(
            "Strip from posts",
            METADATA,
            selection_mode="multi",
            default=list(TUTORIAL.remove),
            key=_key("remove"),
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
            key=_key("max_features"),
            **bound,
        ),
        "hidden": bar.slider(
            "Hidden units per layer",
            *_range("hidden"),
            TUTORIAL.hidden,
            key=_key("hidden"),
            **bound,
        ),
        "layers": bar.slider(
            "Hidden layers", *_range("layers"), TUTORIAL.layers, key=_key("layers"), **bound
        ),
        "dropout": bar.slider(
            "Dropout", 0.0, 0.9, TUTORIAL.dropout, 0.05, key=_key("dropout"), **bound
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
        "lr": bar.number_input(
            "Learning rate",
            *_range("lr"),
            TUTORIAL.lr,
            step=0.001,
            format="%g",
            key=_key("lr"),
            **bound,
        ),
        "weight_decay": bar.number_input(
            "Weight decay (L2)",
            *_range("weight_decay"),
            TUTORIAL.weight_decay,
            step=0.0001,
            format="%g",
            key=_key("weight_decay"),
            help="Pulls every weight towards zero at every step; trains in plain PyTorch",
            **bound,
        ),
        "train_share": bar.slider(
            "Share of training posts",
            *_range("train_share"),
            TUTORIAL.train_share,
            0.05,
            key=_key("train_share"),
            help="Train on fewer posts to see what more data buys (drawn per category)",
            **bound,
        ),
        "batch_size": bar.number_input(
            "Batch size",
            *_range("batch_size"),
            TUTORIAL.batch_size,
            step=10,
            key=_key("batch_size"),
            **bound,
        ),
        "epochs": bar.slider(
            "Epochs", *_range("epochs"), TUTORIAL.epochs, key=_key("epochs"), **bound
        ),
        "seed": bar.number_input(
            "Seed", *_range("seed"), TUTORIAL.seed, step=1, key=_key("seed"), **bound
        ),
    }
    settings["categories"] = tuple(settings["categories"] or ())
    settings["remove"] = tuple(settings["remove"] or ())
    return settings


CHART_EVERY = 0.3  # seconds between redraws of the live chart: each costs ~50 ms to build and send


def train_ui(config: TrainConfig, corpus: Corpus, features: Features) -> Run:
    """Trains with a progress bar and a chart that grows as the epochs pass."""
    progress = st.progress(0.0, text=f"Training on {features.X_train.shape[0]:,} posts…")
    chart = st.empty()
    history = []
    drawn = [time.monotonic()]

    def on_epoch(record):
        history.append(record)
        progress.progress(
            record.epoch / config.epochs,
            text=f"Epoch {record.epoch}/{config.epochs} · test accuracy {record.test_accuracy:.1%}",
        )
        if record.epoch < config.epochs and time.monotonic() - drawn[0] >= CHART_EVERY:
            chart.altair_chart(
                charts.history_chart(history, config.epochs, corpus.label_names), width="stretch"
            )
            drawn[0] = time.monotonic()

    with training_slot(progress):
        run = run_training(config, corpus, features, on_epoch=on_epoch, should_stop=session_gone)
    progress.empty()
    chart.empty()
    return run


LIMITS = Limits.from_environment()
_SLOTS = threading.BoundedSemaphore(LIMITS.concurrent_runs) if LIMITS.concurrent_runs else None


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


def results_ui(run: Run, previous: Run | None, corpus: Corpus) -> None:
    report = run.report
    delta = None
    if previous is not None:
        delta = (
            f"{(report.accuracy - previous.report.accuracy) * 100:+.2f} points since the last run"
        )
    st.caption(
        f"Trained on {markdown_literal(run.data_name)}: {len(corpus.train_labels):,} training and "
        f"{len(corpus.test_labels):,} test texts in {len(corpus.label_names)} categories"
        + (
            f" ({run.config.train_share:.0%} of the training texts used)"
            if run.config.train_share < 1
            else ""
        )
        + f". Trained by {run.backend}."
    )
    left, middle, right = st.columns(3)
    left.metric("Test accuracy", f"{report.accuracy:.2%}", delta=delta)
    middle.metric(
        "Training loop",
        f"{run.train_seconds:.2f} s",
        help=f"The word table was trained by: {run.backend}. The C kernels train Adam without "
        "weight decay where a compiler is at hand; everything else trains in plain PyTorch.",
    )
    right.metric("Vocabulary", f"{len(run.classifier.vectorizer.vocabulary_):,} words")
    st.altair_chart(
        charts.history_chart(run.history, run.config.epochs, run.report.labels), width="stretch"
    )

    st.subheader("Where it goes wrong")
    st.caption("Rows: the post's true group. Columns: the network's answer. The diagonal is right.")
    st.altair_chart(charts.confusion_chart(report))
    drilldown_ui(run, corpus)
    baseline_ui(run)

    st.subheader("Each category against the rest")
    columns = st.columns(min(4, len(report.per_class)))
    for i, scores in enumerate(report.per_class):
        with columns[i % len(columns)]:
            st.markdown(f"**{markdown_literal(scores.label)}**")
            st.altair_chart(charts.one_vs_rest_chart(scores))
            st.caption(
                f"precision {scores.precision:.3f} · recall {scores.recall:.3f} · "
                f"F1 {scores.f1:.3f}"
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
    corpus, _ = data_for(run.config, run.data_source)
    index = random.randrange(len(corpus.test_texts))
    st.session_state["text"] = corpus.test_texts[index]
    st.session_state["true_group"] = corpus.label_names[corpus.test_labels[index]]


def _forget_true_group() -> None:
    st.session_state.pop("true_group", None)


@st.fragment  # typing reruns this panel alone, not the whole page
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
    share_ui(run)  # in this panel, so the link carries the text as it is now
    true_group = st.session_state.get("true_group")
    if true_group:
        st.caption(f"This test post’s true group: **{markdown_literal(true_group)}**")
    prediction = predict_text(run.classifier, text)
    if prediction.message:
        st.info(prediction.message)
    if prediction.probabilities is not None:
        label, probability = prediction.ranked()[0]
        st.markdown(f"Most likely: **{markdown_literal(label)}** ({probability:.1%})")
        st.altair_chart(charts.probability_chart(prediction.ranked()), width="stretch")
        st.caption(
            f"{prediction.known_words} of {prediction.total_words} words are in the vocabulary."
        )
        explanation_ui(run, text, label)


def highlighted_markdown(run: Run, text: str, explanation, label: str) -> str:
    """The text as markdown: words that raise label green, words that lower it red, words the
    network never saw struck through in gray. Every piece of the text is escaped first."""
    column = explanation.contributions[:, explanation.labels.index(label)]
    strength = dict(zip(explanation.words, column, strict=True))
    threshold = 0.15 * float(np.abs(column).max()) if column.size else 0.0
    out = []
    text = unlinked(text[:MAX_EXPLAINED_CHARS])  # whole: www and its . are separate pieces
    for piece, word in token_spans(run.classifier, text):
        safe = markdown_escaped(piece)
        if word == "":
            out.append(f":gray[~~{safe}~~]")
        elif word is not None and strength.get(word, 0.0) > threshold > 0:
            out.append(f":green-background[{safe}]")
        elif word is not None and strength.get(word, 0.0) < -threshold < 0:
            out.append(f":red-background[{safe}]")
        else:
            out.append(safe)
    return markdown_layout("".join(out))


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
        key="explain_label",
        help="Each word's effect: how much this category's log-probability drops without it.",
    )
    st.markdown(highlighted_markdown(run, text, explanation, label))
    ranked = explanation.ranked(label, top=10)
    if ranked:
        st.altair_chart(charts.contribution_chart(ranked, label), width="stretch")
    if explanation.unknown:
        shown = ", ".join(explanation.unknown[:20]) + (
            " …" if len(explanation.unknown) > 20 else ""
        )
        st.caption(f"Never seen in training (no effect): {markdown_literal(shown)}")


def _subject(post: str) -> str:
    """A post's subject line, or its first line when headers were stripped."""
    match = re.search(r"^Subject:\s*(.*)$", post, re.M)
    line = match.group(1) if match else next((s for s in post.splitlines() if s.strip()), "")
    return line.strip()[:120] or "(empty post)"


@st.fragment  # choosing a cell or a post reruns this panel alone
def drilldown_ui(run: Run, corpus: Corpus) -> None:
    """The test posts behind one cell of the confusion matrix, and why the network chose."""
    labels = list(run.report.labels)
    st.markdown("#### Look inside a cell")
    left, right = st.columns(2)
    true_label = left.selectbox("True group", labels, key="cell_true")
    default = next(
        (
            j
            for j in np.argsort(-run.report.confusion[labels.index(true_label)])
            if labels[j] != true_label
        ),
        0,
    )
    predicted_label = right.selectbox(
        "Predicted group", labels, index=int(default), key="cell_predicted"
    )
    predicted = run.test_probabilities.argmax(1)
    rows = np.flatnonzero(
        (corpus.test_labels == labels.index(true_label))
        & (predicted == labels.index(predicted_label))
    )
    st.caption(
        f"{len(rows)} test posts of {markdown_literal(true_label)} that the network called "
        f"{markdown_literal(predicted_label)}."
    )
    if not len(rows):
        return
    table = pd.DataFrame(
        {
            "post": [int(i) for i in rows],
            "subject": [_subject(corpus.test_texts[i]) for i in rows],
            f"p({true_label})": run.test_probabilities[rows, labels.index(true_label)].round(4),
            f"p({predicted_label})": run.test_probabilities[
                rows, labels.index(predicted_label)
            ].round(4),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", height=min(400, 36 + 35 * len(rows)))
    chosen = st.selectbox(
        "Explain post",
        table["post"],
        format_func=lambda i: f"#{i}: {_subject(corpus.test_texts[i])}",
        key="cell_post",
    )
    post = corpus.test_texts[int(chosen)]
    explanation = explain(run.classifier, post)
    if explanation is not None:
        st.markdown(highlighted_markdown(run, post, explanation, predicted_label))


MAX_RUNS = 8  # kept per session, and at most LIMITS.session_mb: the oldest go first


def remember(run: Run) -> None:
    runs = st.session_state.setdefault("runs", [])
    runs.append(run)
    del runs[:-MAX_RUNS]
    budget = LIMITS.session_mb * 2**20 or float("inf")
    while len(runs) > 1 and sum(r.nbytes() for r in runs) > budget:
        runs.pop(0)
    st.session_state["run_numbers"] = st.session_state.get("run_numbers", 0) + 1
    run.number = st.session_state["run_numbers"]


def _restore(run: Run) -> None:
    st.session_state["previous"] = st.session_state.get("run")
    st.session_state["run"] = run
    # the sidebar shows the restored run's settings: nothing retrains
    apply_preset(run.config, keep=LIST_SETTINGS if run.data_source is not None else ())
    st.session_state["source"] = "Your own file" if run.data_source else "20 Newsgroups"
    # an uploader cannot be set from code: the run's file stands in for it until one is chosen
    st.session_state["restored_file"] = run.data_source
    st.session_state["restored_upload"] = _upload_id(st.session_state.get("own_file"))


def _upload_id(upload) -> str | None:
    return getattr(upload, "file_id", None)


def _changes(previous: Run | None, run: Run) -> str:
    if previous is None:
        return "first run"
    before, after = previous.config, run.config
    data = [f"data {previous.data_name} → {run.data_name}"] * (
        previous.data_source != run.data_source
    )
    if run.data_source is not None:
        after = dataclasses.replace(after, categories=before.categories, remove=before.remove)
    changed = data + [
        f"{option_name(name)} {format_setting(getattr(before, name))} → "
        f"{format_setting(getattr(after, name))}"
        for name in config_fields()
        if getattr(before, name) != getattr(after, name)
    ]
    return "; ".join(changed) or "same settings"


def history_ui() -> None:
    """Every run of this session: what changed, how it scored, its curve; any can come back."""
    runs = st.session_state.get("runs", [])
    if len(runs) < 2:
        return
    st.subheader("Runs in this session")
    current = st.session_state.get("run")
    table = pd.DataFrame(
        [
            {
                "run": f"#{r.number}" + (" (shown)" if r is current else ""),
                "changed from the run before": _changes(runs[i - 1] if i else None, r),
                "test accuracy": r.report.accuracy,
                "training s": r.train_seconds,
            }
            for i, r in enumerate(runs)
        ]
    )
    st.dataframe(
        table.style.format({"test accuracy": "{:.2%}", "training s": "{:.2f}"}),
        hide_index=True,
        width="stretch",
    )
    st.altair_chart(charts.runs_chart([(f"#{r.number}", r.history) for r in runs]), width="stretch")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Run",
        runs,
        format_func=lambda r: f"#{r.number}: {r.report.accuracy:.2%}",
        key="restore_choice",
    )
    right.button("Restore", on_click=_restore, args=(chosen,), disabled=chosen is current)


@st.cache_data(max_entries=4, show_spinner=False)
def baseline_data(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> Report:
    corpus, vectorised = load_data(categories, remove, features, max_features)
    return baseline_report(corpus, vectorised)


def _insight(run: Run, corpus: Corpus, features: Features) -> dict:
    """Per run, computed once: its top words and its map of the test posts."""
    store = st.session_state.setdefault("insight", {})
    if run.number not in store or store[run.number]["run"] is not run:
        words = top_words(run.classifier)
        candidates = sorted({w for ranked in words.values() for w, _ in ranked})
        store[run.number] = {
            "run": run,
            "top_words": words,
            "artefacts": header_artefacts(candidates, corpus.test_texts)
            if run.data_source is None
            else [],
            "map": hidden_map(run.classifier, features.X_test),
        }
        for number in [
            n for n in store if n not in {r.number for r in st.session_state.get("runs", [])}
        ]:
            store.pop(number)  # runs that left the history take their insight with them
    return store[run.number]


def _strip_metadata() -> None:
    st.session_state[_key("remove")] = list(METADATA)


def learned_ui(run: Run, corpus: Corpus, features: Features) -> None:
    """What the network learned: its words per category, header artefacts, the hidden-layer map."""
    st.subheader("What the network learned")
    insight = _insight(run, corpus, features)
    words = insight["top_words"]
    artefacts = insight["artefacts"]
    if artefacts and not run.config.remove:
        st.info(
            "Some of the words the network relies on come from e-mail headers and addresses, not "
            f"from what the posts say ({markdown_literal(', '.join(artefacts[:12]))}): its score "
            "is partly for the wrong reason."
        )
        st.button("Strip headers, footers and quotes", on_click=_strip_metadata)
    st.caption("The words that, alone in a post, raise each category's log-probability most.")
    columns = st.columns(min(3, len(words)))
    for i, (label, ranked) in enumerate(words.items()):
        chart = charts.contribution_chart(ranked, label, axis="log-probability gained, alone")
        columns[i % len(columns)].altair_chart(chart, width="stretch")
    st.altair_chart(
        charts.hidden_map_chart(
            insight["map"],
            [run.report.labels[y] for y in corpus.test_labels],
            [_subject(t) for t in corpus.test_texts],
        ),
        width="stretch",
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def own_baseline(own: OwnData, features: str, max_features: int) -> Report:
    return baseline_report(*own_data(own, features, max_features))


def baseline_ui(run: Run) -> None:
    """A scikit-learn model on the same split and features, beside the network."""
    config = run.config
    if run.data_source is None:
        report = baseline_data(
            config.categories, config.remove, config.features, config.max_features
        )
    else:
        report = own_baseline(run.data_source, config.features, config.max_features)
    left, right = st.columns(2)
    left.metric(
        "ComplementNB on the same features",
        f"{report.accuracy:.2%}",
        delta=f"network {(run.report.accuracy - report.accuracy) * 100:+.2f} points against it",
        delta_color="off",
    )
    right.caption("Its confusion matrix")
    right.altair_chart(charts.confusion_chart(report))
