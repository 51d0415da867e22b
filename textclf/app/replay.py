"""Watch it learn: the run replayed epoch by epoch from its snapshots: the test posts on fixed
axes, the confusion matrix filling its diagonal, the example text's probabilities."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

from textclf.app.cache import chart
from textclf.app.training import run_of
from textclf.inspect import charts
from textclf.io.text import markdown_literal
from textclf.serve.store import RunKey

PLAY_EVERY = 0.8  # seconds per epoch while playing


def _advance(epochs: list[int]) -> None:
    """The next epoch kept (a long run keeps 50, evenly spaced), or the end of playing."""
    epoch = st.session_state.get("replay_epoch", epochs[-1])
    if epoch not in epochs or epoch >= epochs[-1]:
        st.session_state["replay_playing"] = False
    else:
        st.session_state["replay_epoch"] = epochs[epochs.index(epoch) + 1]


def _play(first: int) -> None:
    st.session_state["replay_playing"] = True
    st.session_state["replay_epoch"] = first


@st.fragment  # moving the slider or playing reruns this panel alone
def replay_ui(key: RunKey) -> None:
    run = run_of(key)
    snapshots = run.snapshots
    if snapshots is None or not len(snapshots.epochs):
        st.info("This run kept no snapshots to replay.")
        return
    epochs = [int(e) for e in snapshots.epochs]
    shown = st.session_state.get("replay_epoch"), st.session_state.get("replay_run")
    if shown[0] not in epochs or shown[1] != key:
        st.session_state["replay_epoch"] = epochs[-1]
        st.session_state["replay_playing"] = False
        st.session_state["replay_run"] = key
    playing = st.session_state.get("replay_playing", False)
    if playing:
        _advance(epochs)
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    if len(epochs) > 1:
        epoch = left.select_slider("Replay epoch", epochs, key="replay_epoch")
    else:
        epoch = epochs[0]
    right.button(
        "Play",
        icon=":material/play_arrow:",
        on_click=_play,
        args=(epochs[0],),
        disabled=playing or len(epochs) < 2,
    )
    e = epochs.index(epoch)
    labels = run.report.labels
    all_points = snapshots.points.reshape(-1, 2)
    pad = 0.05 * (all_points.max(0) - all_points.min(0))
    domain = tuple(
        (float(all_points[:, k].min() - pad[k]), float(all_points[:, k].max() + pad[k]))
        for k in range(2)
    )
    share = snapshots.diagonal_shares()[e]
    st.caption(
        f"Epoch {epoch}: {share:.1%} of the test posts on the diagonal. The map holds "
        f"{len(snapshots.posts)} test posts placed by the last hidden layer, on the axes of the "
        "last epoch's PCA, fixed for every epoch."
    )
    map_column, matrix_column = st.columns(2)
    groups = [labels[y] for y in snapshots.labels]
    chart(
        map_column,
        run,
        ("replay map", epoch),
        lambda: charts.replay_map_chart(snapshots.points[e], groups, labels, domain),
    )
    chart(
        matrix_column,
        run,
        ("replay matrix", epoch),
        lambda: charts.confusion_chart(snapshots.confusions[e], labels),
    )
    if snapshots.probe and not np.isnan(snapshots.probe_probabilities[e]).any():
        matrix_column.caption(f"The example “{markdown_literal(snapshots.probe)}” at epoch {epoch}")
        ranked = sorted(
            zip(labels, snapshots.probe_probabilities[e].tolist(), strict=True), key=lambda p: -p[1]
        )
        chart(
            matrix_column,
            run,
            ("replay example", epoch),
            lambda: charts.probability_chart(ranked, labels),
        )
    if playing:
        time.sleep(PLAY_EVERY)
        try:
            st.rerun(scope="fragment")
        except StreamlitAPIException:  # the whole page is running: it stops playing
            st.session_state["replay_playing"] = False
