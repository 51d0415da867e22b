"""Every cached function of the page. Each depends on its arguments alone (an argument named
with a leading underscore is one Streamlit does not hash: a file's bytes, named by its digest).
Bounded in entries, each a few tens of MB at most, and shared read-only by every session."""

from __future__ import annotations

import dataclasses

import streamlit as st

from textclf import export
from textclf.config import TrainConfig
from textclf.data import Corpus
from textclf.features import Features
from textclf.insight import baseline_report
from textclf.metrics import Report
from textclf.pipeline import load_and_vectorise
from textclf.tables import Table, corpus_from_tables, read_table


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


# An entry for all 20 groups holds about 50 MB, and a hosted demo runs for weeks.
@st.cache_data(max_entries=4, show_spinner="Loading and vectorising the posts…")
def newsgroups(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> tuple[Corpus, Features]:
    """Without their training texts (22 MB for all 20 groups, dead weight in every cached copy);
    the test texts stay for the cell drill-down and the "random test post" button."""
    return load_and_vectorise(
        TrainConfig(
            categories=categories, remove=remove, features=features, max_features=max_features
        )
    )


# Four files of at most the upload limit.
@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def table(digest: str, name: str, _data: bytes) -> Table:
    return read_table(_data, name)


@st.cache_resource(max_entries=4, show_spinner="Vectorising your texts…")
def own_file(
    own: OwnData, features: str, max_features: int, _data: bytes, _test_data: bytes | None
) -> tuple[Corpus, Features]:
    """Not copied per read (cache_resource): the runs of one file share one corpus. own names
    the bytes by their digests."""
    test = table(own.test_digest, own.test_name, _test_data) if own.test_digest else None
    corpus = corpus_from_tables(
        table(own.digest, own.name, _data),
        own.text_column,
        own.label_column,
        own.test_size,
        test_table=test,
    )
    return load_and_vectorise(TrainConfig(features=features, max_features=max_features), corpus)


@st.cache_data(max_entries=4, show_spinner=False)
def newsgroups_baseline(
    categories: tuple[str, ...], remove: tuple[str, ...], features: str, max_features: int
) -> Report:
    return baseline_report(*newsgroups(categories, remove, features, max_features))


@st.cache_resource(max_entries=4, show_spinner=False)
def own_file_baseline(
    own: OwnData, features: str, max_features: int, _data: bytes, _test_data: bytes | None
) -> Report:
    return baseline_report(*own_file(own, features, max_features, _data, _test_data))


@st.cache_data(max_entries=4, show_spinner=False)
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
