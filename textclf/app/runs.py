"""The runs of this session: what changed from one to the next, how each scored, and any of them
brought back without retraining. The session keeps their keys; the server's store, the runs."""

from __future__ import annotations

import dataclasses

import streamlit as st

from textclf.app.cache import derived
from textclf.app.layout import post_list
from textclf.app.settings import apply_preset
from textclf.app.source import data_for, upload_id
from textclf.app.training import Shown, run_of
from textclf.inspect import charts
from textclf.inspect.compare import compare_runs
from textclf.inspect.insight import YARDSTICK_ALPHA, yardstick_run
from textclf.io.text import markdown_table, subject_line
from textclf.learn.config import LIST_SETTINGS, format_setting, option_name, setting_changes

LISTED = 500  # the posts two runs disagree on that the page lists
YARDSTICK = 0  # Run B's choice for ComplementNB (runs are numbered from 1)


def _restore(shown: Shown) -> None:
    st.session_state["run"] = shown
    own = shown.key.data
    # the sidebar shows the restored run's settings: nothing retrains
    apply_preset(shown.config, keep=LIST_SETTINGS if own is not None else ())
    st.session_state["source"] = "Your own file" if own else "20 Newsgroups"
    # an uploader cannot be set from code: the run's file stands in for it until one is chosen
    st.session_state["restored_file"] = own
    st.session_state["restored_upload"] = upload_id(st.session_state.get("own_file"))


def _data_name(shown: Shown) -> str:
    return "20 Newsgroups" if shown.key.data is None else shown.key.data.name


def changes(previous: Shown | None, run: Shown) -> str:
    if previous is None:
        return "first run"
    before, after = previous.config, run.config
    data = [f"data {_data_name(previous)} → {_data_name(run)}"] * (
        previous.key.data != run.key.data
    )
    if run.key.data is not None:  # a file has no newsgroups: their settings did not change
        after = dataclasses.replace(after, categories=before.categories, remove=before.remove)
    return "; ".join(data + setting_changes(before, after)) or "same settings"


def runs_ui() -> None:
    """Every run of this session: what changed, how it scored, its curve; any can come back."""
    runs = st.session_state.get("runs", [])
    if len(runs) < 2:
        st.info("Change a setting in the sidebar: each run is kept here to compare and restore.")
        return
    current = st.session_state.get("run")
    st.markdown(f"**This session's {len(runs)} runs**, the latest last")
    st.markdown(  # text a phone wraps: the changes are sentences, not cells to cut
        markdown_table(
            ["run", "changed from the run before", "test accuracy", "training s"],
            [
                [
                    f"#{r.number}" + (" (shown)" if r == current else ""),
                    changes(runs[i - 1] if i else None, r),
                    f"{r.report.accuracy:.2%}",
                    f"{r.train_seconds:.2f}",
                ]
                for i, r in enumerate(runs)
            ],
        )
    )
    st.markdown("**Test accuracy of each run, epoch by epoch**")
    st.altair_chart(charts.runs_chart([(f"#{r.number}", r.history) for r in runs]), width="stretch")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    _follow_the_latest(runs)
    earlier = comparable_before(runs[-1]) or runs[-2]  # else the one before it
    chosen = _choose(left, "Run", runs, earlier, "restore_choice")
    right.button("Restore", on_click=_restore, args=(chosen,), disabled=chosen == current)


def comparable(a: Shown, b: Shown) -> bool:
    """Scored on the same test posts: the same file and split, or the same newsgroups."""
    same_posts = (a.config.categories, a.config.remove) == (b.config.categories, b.config.remove)
    return a.key.data == b.key.data and (a.key.data is not None or same_posts)


def comparable_before(shown: Shown) -> Shown | None:
    """The session's latest run before shown that was scored on the same test posts: what a
    change is measured against (a run on a file is never measured against the newsgroups)."""
    earlier = [
        r
        for r in st.session_state.get("runs", [])
        if r.number < shown.number and comparable(r, shown)
    ]
    return earlier[-1] if earlier else None


def _follow_the_latest(runs: list[Shown]) -> None:
    """When a new run arrives, the choices go back to their defaults (a widget keeps what it
    held, and offered #2 of 4 runs)."""
    if st.session_state.get("choices_for") != runs[-1].number:
        st.session_state["choices_for"] = runs[-1].number
        for key in ("restore_choice", "compare_a", "compare_b"):
            st.session_state.pop(key, None)


def _choose(
    column, label: str, runs: list[Shown], default: Shown | None, key: str, yardstick=False
) -> Shown | None:
    """A run chosen by its number (a widget hands back a copy of what it holds); None: the
    yardstick, offered when asked for, and the default given None."""
    by_number = {r.number: r for r in runs}
    options = [*by_number, *([YARDSTICK] if yardstick else [])]
    number = column.selectbox(
        label,
        options,
        index=options.index(YARDSTICK if default is None else default.number),
        format_func=lambda n: (
            "ComplementNB, the yardstick"
            if n == YARDSTICK
            else f"#{n}: {by_number[n].report.accuracy:.2%}"
        ),
        key=key,
    )
    return by_number.get(number)  # None for the yardstick: runs are numbered from 1


def compare_ui() -> None:
    """Two runs of the session side by side, as LIT's side-by-side mode has them, or a run beside
    ComplementNB: settings, scores, matrices, and the test posts on which they disagree."""
    runs = st.session_state.get("runs", [])
    st.markdown("#### Two runs compared")
    if not runs:
        return
    left, right = st.columns(2)
    _follow_the_latest(runs)
    latest = runs[-1]
    earlier = comparable_before(latest)
    # the latest two on the same test posts; else the latest beside the yardstick
    default_a, default_b = (earlier, latest) if earlier else (latest, None)
    shown_a = _choose(left, "Run A", runs, default_a, "compare_a")
    shown_b = _choose(right, "Run B", runs, default_b, "compare_b", yardstick=True)
    a = run_of(shown_a)
    if shown_b is None:  # the network beside the yardstick, on its own test posts
        b = derived(a, "yardstick", lambda: yardstick_run(a, *data_for(a.config, a.data_source)))
    else:
        b = run_of(shown_b)
    try:
        found = compare_runs(a, b)
    except ValueError as error:
        st.info(str(error))
        return
    left.metric(f"Run A (#{shown_a.number})", f"{found.accuracy[0]:.2%}")
    right.metric(
        "ComplementNB" if shown_b is None else f"Run B (#{shown_b.number})",
        f"{found.accuracy[1]:.2%}",
    )
    differing = [s for s in found.settings if s.differs]
    if shown_b is None:
        st.caption(
            f"What differs: B is scikit-learn's ComplementNB (alpha {YARDSTICK_ALPHA}), a linear "
            "model, on A's features and split; A is the network."
        )
    else:
        st.caption(
            "What differs: "
            + (
                "; ".join(
                    f"{option_name(s.name)} {format_setting(s.a)} → {format_setting(s.b)}"
                    for s in differing
                )
                or "nothing: the same settings and seed"
            )
        )
    for column, confusion in zip((left, right), found.confusion, strict=True):
        column.altair_chart(charts.confusion_chart(confusion, found.labels), width="stretch")
    st.markdown(
        f"**A got {found.only_a_right} posts right that B missed; B got {found.only_b_right} "
        f"right that A missed.** Both right on {found.both_right}, both wrong on "
        f"{found.both_wrong}; they disagree on {len(found.disagreements)}."
    )
    if not found.disagreements:
        return
    labels = found.labels
    corpus, _ = data_for(a.config, a.data_source)  # the test posts both were scored on

    def says(answer: int, probability: float, right: bool) -> str:
        return f"{labels[answer]} ({probability:.0%})" + (" ✓" if right else "")

    st.caption(
        "✓ marks the run that got the post right; each answer is given with the run's probability"
        + (
            f". The first {LISTED} of {len(found.disagreements):,} are listed."
            if len(found.disagreements) > LISTED
            else "."
        )
    )
    post_list(
        "disagreements",
        ["subject", "A says", "B says", "true group", "post"],
        [
            [subject_line(corpus.test_texts[d.index]),
             says(d.answer_a, d.probability_a, d.right == "a"),
             says(d.answer_b, d.probability_b, d.right == "b"),
             labels[d.true_label], corpus.test_label(d.index)]
            for d in found.disagreements[:LISTED]
        ],
        phone_keeps=3,
    )  # fmt: skip
