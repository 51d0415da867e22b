"""The runs of this session: what changed from one to the next, how each scored, and any of them
brought back without retraining. Kept within the session's share of memory."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from textclf import charts
from textclf.app.settings import apply_preset
from textclf.app.source import LIMITS, upload_id
from textclf.config import LIST_SETTINGS, setting_changes
from textclf.pipeline import Run

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
    st.session_state["restored_upload"] = upload_id(st.session_state.get("own_file"))


def changes(previous: Run | None, run: Run) -> str:
    if previous is None:
        return "first run"
    before, after = previous.config, run.config
    data = [f"data {previous.data_name} → {run.data_name}"] * (
        previous.data_source != run.data_source
    )
    if run.data_source is not None:  # a file has no newsgroups: their settings did not change
        after = dataclasses.replace(after, categories=before.categories, remove=before.remove)
    return "; ".join(data + setting_changes(before, after)) or "same settings"


def runs_ui() -> None:
    """Every run of this session: what changed, how it scored, its curve; any can come back."""
    runs = st.session_state.get("runs", [])
    if len(runs) < 2:
        st.info("Change a setting in the sidebar: each run is kept here to compare and restore.")
        return
    current = st.session_state.get("run")
    table = pd.DataFrame(
        [
            {
                "run": f"#{r.number}" + (" (shown)" if r is current else ""),
                "changed from the run before": changes(runs[i - 1] if i else None, r),
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
    st.markdown("**Test accuracy of each run, epoch by epoch**")
    st.altair_chart(charts.runs_chart([(f"#{r.number}", r.history) for r in runs]), width="stretch")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Run",
        runs,
        format_func=lambda r: f"#{r.number}: {r.report.accuracy:.2%}",
        key="restore_choice",
    )
    right.button("Restore", on_click=_restore, args=(chosen,), disabled=chosen is current)
