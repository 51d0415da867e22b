"""The data the network learns from: 20 Newsgroups (offline, from the host's copy of their
archive), or a person's own file. A file's bytes live in the session's file store."""

from __future__ import annotations

import hashlib
import os

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from textclf.app import cache
from textclf.app.cache import LIMITS, OwnData
from textclf.io.tables import MAX_FILE_MB, TEST_SIZE_RANGE, DataProblem
from textclf.io.text import markdown_literal
from textclf.learn.config import TrainConfig
from textclf.learn.data import (
    Corpus,
    DataUnavailable,
    data_home,
    install_archive,
    writable_data_home,
)
from textclf.learn.features import Features

OWN_FILE_TYPES = ["csv", "tsv", "tab", "txt", "jsonl", "ndjson", "json"]


def data_for(config: TrainConfig, own: OwnData | None = None) -> tuple[Corpus, Features]:
    """The vectorised data config trains on: its newsgroups, or the person's file."""
    if own is None:
        return cache.newsgroups(
            config.categories, config.remove, config.features, config.max_features
        )
    # "all words" of a stranger's file could be millions
    return cache.own_file(own, config.features, config.max_features or LIMITS.file_words,
                          *file_bytes(own))  # fmt: skip


def baseline_for(config: TrainConfig, own: OwnData | None):
    """ComplementNB on the same split and features (cached like the data)."""
    if own is None:
        return cache.newsgroups_baseline(
            config.categories, config.remove, config.features, config.max_features
        )
    return cache.own_file_baseline(
        own, config.features, config.max_features or LIMITS.file_words, *file_bytes(own)
    )


def file_bytes(own: OwnData) -> tuple[bytes, bytes | None]:
    files = st.session_state["files"]
    return files[own.digest], files[own.test_digest] if own.test_digest else None


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
    own = [r.key.data for r in runs if r is not None and r.key.data is not None]
    own += [st.session_state.get("own"), st.session_state.get("restored_file")]
    used = {d for o in own if o is not None for d in (o.digest, o.test_digest)}
    files = st.session_state.get("files", {})
    for digest in [d for d in files if d not in used]:
        files.pop(digest)
    digests = st.session_state.get("upload_digests", {})
    for file_id in [f for f, d in digests.items() if d not in files]:
        digests.pop(file_id)


def upload_id(upload) -> str | None:
    return getattr(upload, "file_id", None)


def source_ui() -> OwnData | None:
    """The sidebar's data source: None for 20 Newsgroups, else the person's file and columns."""
    bar = st.sidebar
    choice = bar.segmented_control(
        "Data", ["20 Newsgroups", "Your own file"], default="20 Newsgroups", key="source"
    )
    if choice != "Your own file":
        return None
    upload = bar.file_uploader(
        f"Labelled texts: CSV, TSV or JSON Lines (up to {upload_cap_mb()} MB)",
        type=OWN_FILE_TYPES,
        key="own_file",
        help="One row per text, a header line naming the columns, one column holding the label.",
        max_upload_size=upload_cap_mb(),  # the browser refuses a larger file before sending it
    )
    restored = st.session_state.get("restored_file")
    files = st.session_state.get("files", {})
    if (
        restored is not None
        and restored.digest in files
        and upload_id(upload) == st.session_state.get("restored_upload")
    ):
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
    _refuse_if_too_large(upload)
    digest = _store_file(upload)
    try:
        table = cache.table(digest, upload.name, st.session_state["files"][digest])
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
        "Separate test file (optional)",
        type=OWN_FILE_TYPES,
        key="own_test_file",
        max_upload_size=upload_cap_mb(),
    )
    if test_upload is not None:
        _refuse_if_too_large(test_upload)
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


def upload_cap_mb() -> int:
    """The host's cap on a person's file, never above what any file may be (TEXTCLF_UPLOAD_MB)."""
    return min(LIMITS.upload_mb or MAX_FILE_MB, MAX_FILE_MB)


def _refuse_if_too_large(upload) -> None:
    """One sentence, before a byte of the file is read, and the page stops. The browser refuses
    such a file itself; one sent past it (a script posting to the server) is dropped at once,
    not held for as long as the tab lives."""
    if upload.size > upload_cap_mb() * 2**20:
        context = get_script_run_ctx()
        if context is not None:
            context.uploaded_file_mgr.remove_file(context.session_id, upload.file_id)
        st.error(
            f"{markdown_literal(upload.name)} is {upload.size / 2**20:.1f} MB and this server "
            f"takes files of up to {upload_cap_mb()} MB: upload a sample of its rows."
        )
        st.stop()


def vectorised_ui(config: TrainConfig, own: OwnData | None) -> tuple[Corpus, Features]:
    """The data for config, or a message (and the page stops) when it cannot be had."""
    try:
        corpus, features = data_for(config, own)
    except DataUnavailable as error:
        archive_ui(error)  # offline: the host's archive, if it gave one, then reruns
    except DataProblem as error:
        st.error(f"Your texts cannot be used this way: {markdown_literal(str(error))}")
        st.stop()
    for note in corpus.notes:
        st.caption(f"Note: {markdown_literal(note)}.")
    return corpus, features


HOST_ARCHIVE = "TEXTCLF_ARCHIVE"  # the host's copy of 20news-bydate.tar.gz, for an offline server


def archive_ui(error: DataUnavailable) -> None:
    """Offline: the host's copy of the official archive (TEXTCLF_ARCHIVE), unpacked once into
    scikit-learn's cache. Only the host provides the data every visitor reads: a visitor never
    names a path on the server, and never uploads a data set for others."""
    archive = os.environ.get(HOST_ARCHIVE)
    if archive:
        try:
            with st.spinner("Unpacking the host's archive into scikit-learn's cache…"):
                home = writable_data_home()
                install_archive(archive, home)
                if home != data_home():  # the usual place is read-only: every load looks here
                    os.environ["SCIKIT_LEARN_DATA"] = str(home)
            st.rerun()
        except DataUnavailable:
            pass  # what the host gave cannot be used: said below, in the host's terms only
    st.error(
        "This server has no copy of 20 Newsgroups and cannot download one. Its host provides "
        "it (SCIKIT_LEARN_DATA, or the official archive named by TEXTCLF_ARCHIVE; see the "
        "README's Offline section). Meanwhile, train on your own file: choose **Your own file** "
        "in the sidebar."
    )
    st.stop()
