"""Every cached function of the page, each depending on its arguments alone (Streamlit does not
hash an argument named with a leading underscore: a file's bytes, named by digest). Bounded in
entries (a few tens of MB each), shared read-only by every session; runs live in serve.store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from textclf.fast.threads import available_cores
from textclf.inspect.insight import baseline_report
from textclf.io import export
from textclf.io.tables import Table, corpus_from_tables, read_table
from textclf.io.text import markdown_table
from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run, load_and_vectorise
from textclf.serve.budget import MB, Limits
from textclf.serve.memory import release_freed_memory
from textclf.serve.store import RunKey, RunStore
from textclf.serve.turns import Turns

LIMITS = Limits.from_environment()


@st.cache_resource(show_spinner=False)
def server_store() -> RunStore:
    """The one store of runs and queue of this server, shared by every session."""
    turns = Turns(LIMITS.concurrent_runs or available_cores(), LIMITS.training_mb * MB)
    return RunStore(turns, LIMITS.store_mb * MB, LIMITS.run_seconds)


def key_of(run: Run) -> RunKey:
    return RunKey(run.config, run.data_source)


def derived(run: Run, name, make: Callable[[], object]):
    """make(), computed once per run for every session that shows it (the store keeps it with
    the run); computed afresh if the store has let the run go."""
    store = server_store()
    training = store.get(key_of(run))
    if training is None or training.run is not run:
        return make()
    return store.derived(training, name, make)


def chart(place, run: Run, name, make: Callable[[], alt.TopLevelMixin]) -> None:
    """Draws make()'s chart in place, built once per run and name for every session: Altair's
    validation and conversion were most of what a visitor cost the server (bench/README.md), so
    the store keeps its Vega-Lite spec, the data as Arrow bytes that Streamlit sends as they are."""
    draw_spec(place, derived(run, ("chart", name), lambda: vega_lite(make())))


def markdown_table_of(
    place, run: Run, name, make: Callable[[], tuple[list[str], list[list]]]
) -> None:
    """make()'s (columns, rows) as a Markdown table in place, written once per run and name."""
    place.markdown(derived(run, ("table", name), lambda: markdown_table(*make())))


def draw_spec(place, spec: dict) -> None:
    """A spec made by vega_lite, drawn in place. Streamlit sets and takes out top-level keys of
    the spec it is given (autosize, datasets): it gets a copy of those, the kept one stays whole."""
    place.vega_lite_chart({**spec, "datasets": dict(spec["datasets"])}, width="stretch")


def vega_lite(chart: alt.TopLevelMixin) -> dict:
    """chart's Vega-Lite spec with each data frame named, and its rows as Arrow IPC bytes."""
    datasets = {}

    def named(part):
        if isinstance(part.data, pd.DataFrame):
            name = f"data-{len(datasets)}"
            table = pa.Table.from_pandas(part.data, preserve_index=False)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            datasets[name] = sink.getvalue().to_pybytes()
            part = part.copy(deep=False)
            part.data = alt.NamedData(name=name)
        for compound in ("layer", "hconcat", "vconcat", "concat"):
            if isinstance(getattr(part, compound, None), list):
                part = part.copy(deep=False)
                setattr(part, compound, [named(p) for p in getattr(part, compound)])
        return part

    spec = named(chart).to_dict(validate=False)
    return {**spec, "datasets": datasets}


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


# An entry for all 20 groups holds about 50 MB, and a hosted demo runs for weeks. Shared, not
# copied per read (cache_resource): thirty sessions read one copy, which nothing changes.
@st.cache_resource(max_entries=4, show_spinner="Loading and vectorising the posts…")
def newsgroups(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> tuple[Corpus, Features]:
    """Without their training texts (22 MB for all 20 groups, dead weight in every cached copy);
    the test texts stay for the cell drill-down and the "random test post" button."""
    return vectorised(
        TrainConfig(
            categories=categories, remove=remove, features=features, max_features=max_features
        )
    )


def vectorised(config: TrainConfig, corpus: Corpus | None = None) -> tuple[Corpus, Features]:
    """load_and_vectorise, and what it freed given back to the system before a training's peak
    (a server process stays)."""
    found = load_and_vectorise(config, corpus)
    release_freed_memory()
    return found


# Four files of at most the upload limit, for as long as someone works on them: a person's file
# leaves the server's caches ten minutes after its last use.
FILE_TTL = "10m"


@st.cache_data(max_entries=4, ttl=FILE_TTL, show_spinner="Reading the file…")
def table(digest: str, name: str, _data: bytes) -> Table:
    return read_table(_data, name)


@st.cache_resource(max_entries=4, ttl=FILE_TTL, show_spinner="Vectorising your texts…")
def own_file(
    own: OwnData, features: str, max_features: int, _data: bytes, _test_data: bytes | None
) -> tuple[Corpus, Features]:
    """Not copied per read (cache_resource): the runs of one file share one corpus. own names
    the bytes by their digests."""
    corpus = own_file_texts(own, _data, _test_data)
    return vectorised(TrainConfig(features=features, max_features=max_features), corpus)


def own_file_texts(
    own: OwnData, data: bytes, test_data: bytes | None, split_seed: int = 0
) -> Corpus:
    """The person's texts split as the page trains on them (split seed 0), the training texts
    kept."""
    test = table(own.test_digest, own.test_name, test_data) if own.test_digest else None
    return corpus_from_tables(
        table(own.digest, own.name, data),
        own.text_column,
        own.label_column,
        own.test_size,
        seed=split_seed,
        test_table=test,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def newsgroups_baseline(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> Report:
    return baseline_report(*newsgroups(categories, remove, features, max_features))


@st.cache_resource(max_entries=4, ttl=FILE_TTL, show_spinner=False)
def own_file_baseline(
    own: OwnData, features: str, max_features: int, _data: bytes, _test_data: bytes | None
) -> Report:
    return baseline_report(*own_file(own, features, max_features, _data, _test_data))


@st.cache_data(max_entries=4, ttl=FILE_TTL, show_spinner=False)
def own_file_export(own: OwnData, _data: bytes, _test_data: bytes | None) -> export.OwnData:
    """How the Code tab's script reads a person's file: read and checked once per file."""
    return export.own_data(
        _data,
        own.text_column,
        own.label_column,
        own.test_size,
        test_path=_test_data,
        name=own.name,
        test_name=own.test_name or None,
    )


@st.cache_data(max_entries=16, show_spinner=False)
def newsgroups_script(config: TrainConfig) -> str:
    return export.training_script(config)
