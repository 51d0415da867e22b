"""Altair charts of training and results; they return charts and never draw them."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from textclf.metrics import ClassScores, Report
from textclf.train import EpochRecord


def history_chart(
    history: list[EpochRecord], epochs: int | None = None, labels: tuple[str, ...] = ()
) -> alt.HConcatChart:
    """Training loss, train and test accuracy, and (given labels) each category's test accuracy:
    which topic is learned first, which one slips as the network overfits."""
    frame = pd.DataFrame([record.__dict__ for record in history])
    if frame.empty:
        frame = pd.DataFrame(columns=["epoch", "loss", "train_accuracy", "test_accuracy"])
    x = alt.X(
        "epoch:Q",
        title="epoch",
        scale=alt.Scale(domain=[1, max(epochs or 1, 2)]),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    loss = (
        alt.Chart(frame, title="training loss")
        .mark_line(point=True, color="#e45756")
        .encode(x=x, y=alt.Y("loss:Q", title="cross-entropy"), tooltip=["epoch", "loss"])
        .properties(height=220)
    )
    long = frame.melt(
        id_vars="epoch", value_vars=["train_accuracy", "test_accuracy"], var_name="set"
    )
    long["set"] = long["set"].str.replace("_accuracy", "")
    accuracy = (
        alt.Chart(long, title="accuracy")
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="accuracy", scale=alt.Scale(zero=False, domainMax=1)),
            color=alt.Color("set:N", sort=["train", "test"], legend=alt.Legend(orient="bottom")),
            tooltip=["epoch", "set", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=220)
    )
    if not labels or frame.empty:
        return alt.hconcat(loss, accuracy)
    per_class = pd.DataFrame(
        [
            {"epoch": record.epoch, "category": label, "accuracy": recall}
            for record in history
            for label, recall in zip(labels, record.test_recall, strict=False)
        ]
    )
    categories = (
        alt.Chart(per_class, title="test accuracy per category")
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("accuracy:Q", scale=alt.Scale(zero=False, domainMax=1)),
            color=alt.Color("category:N", legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=["epoch", "category", alt.Tooltip("accuracy:Q", format=".3f")],
        )
        .properties(height=220)
    )
    return alt.hconcat(loss, accuracy, categories)


def runs_chart(runs: list[tuple[str, list[EpochRecord]]]) -> alt.Chart:
    """Test accuracy per epoch of several runs, overlaid."""
    frame = pd.DataFrame(
        [
            {"run": name, "epoch": record.epoch, "test accuracy": record.test_accuracy}
            for name, history in runs
            for record in history
        ]
    )
    return (
        alt.Chart(frame, title="test accuracy of each run")
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("test accuracy:Q", scale=alt.Scale(zero=False)),
            color=alt.Color("run:N", sort=[name for name, _ in runs]),
            tooltip=["run", "epoch", alt.Tooltip("test accuracy:Q", format=".4f")],
        )
        .properties(height=240)
    )


def confusion_chart(report: Report) -> alt.LayerChart:
    """The N x N confusion matrix as a heatmap with its counts: rows true, columns predicted."""
    rows = [
        {"true": true, "predicted": predicted, "posts": int(report.confusion[i, j])}
        for i, true in enumerate(report.labels)
        for j, predicted in enumerate(report.labels)
    ]
    frame = pd.DataFrame(rows)
    step = 64 if len(report.labels) <= 6 else 36
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:N", sort=list(report.labels), title="predicted group"),
        y=alt.Y("true:N", sort=list(report.labels), title="true group"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("posts:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["true", "predicted", "posts"],
    )
    threshold = frame["posts"].max() / 2
    counts = base.mark_text(fontSize=12 if len(report.labels) <= 8 else 9).encode(
        text="posts:Q",
        color=alt.condition(alt.datum.posts > threshold, alt.value("white"), alt.value("black")),
    )
    return (cells + counts).properties(width=alt.Step(step), height=alt.Step(step))


def one_vs_rest_chart(scores: ClassScores) -> alt.LayerChart:
    """One category's 2 x 2 matrix: is it this group, truly and as predicted."""
    frame = pd.DataFrame(
        [
            {"truth": "is", "prediction": "is", "posts": scores.true_positives, "cell": "TP"},
            {"truth": "is", "prediction": "is not", "posts": scores.false_negatives, "cell": "FN"},
            {"truth": "is not", "prediction": "is", "posts": scores.false_positives, "cell": "FP"},
            {
                "truth": "is not",
                "prediction": "is not",
                "posts": scores.true_negatives,
                "cell": "TN",
            },
        ]
    )
    frame["text"] = frame["cell"] + " " + frame["posts"].astype(str)
    base = alt.Chart(frame).encode(
        x=alt.X("prediction:N", sort=["is", "is not"], title="predicted"),
        y=alt.Y("truth:N", sort=["is", "is not"], title="true"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("posts:Q", scale=alt.Scale(scheme="greens"), legend=None),
        tooltip=["cell", "posts"],
    )
    text = base.mark_text(fontSize=12).encode(text="text:N")
    return (cells + text).properties(width=alt.Step(75), height=alt.Step(40))


def contribution_chart(
    ranked: list[tuple[str, float]],
    label: str,
    axis: str = "log-probability lost without the word",
) -> alt.Chart:
    """Words' effects on one category's log-probability, the most raising first."""
    frame = pd.DataFrame(ranked, columns=["word", "effect"])
    frame["direction"] = np.where(frame["effect"] >= 0, "raises", "lowers")
    return (
        alt.Chart(frame, title=f"each word's effect on {label}")
        .mark_bar()
        .encode(
            y=alt.Y("word:N", sort="-x", title=None),
            x=alt.X("effect:Q", title=axis),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(domain=["raises", "lowers"], range=["#54a24b", "#e45756"]),
                legend=None,
            ),
            tooltip=["word", alt.Tooltip("effect:Q", format=".4f")],
        )
        .properties(height=alt.Step(20))
    )


def hidden_map_chart(points: np.ndarray, categories: list[str], subjects: list[str]) -> alt.Chart:
    """Test posts placed by the network's last hidden layer (PCA to 2-D), coloured by true group."""
    frame = pd.DataFrame(
        {"x": points[:, 0], "y": points[:, 1], "group": categories, "subject": subjects}
    )
    return (
        alt.Chart(frame, title="test posts as the last hidden layer sees them (PCA)")
        .mark_circle(size=18, opacity=0.6)
        .encode(
            x=alt.X("x:Q", title="first principal component"),
            y=alt.Y("y:Q", title="second principal component"),
            color=alt.Color("group:N", legend=alt.Legend(orient="bottom", columns=3)),
            tooltip=["group", "subject"],
        )
        .properties(height=420)
        .interactive()
    )


def probability_chart(ranked: list[tuple[str, float]]) -> alt.LayerChart:
    """Horizontal bars, most probable category on top."""
    frame = pd.DataFrame(ranked, columns=["category", "probability"])
    base = alt.Chart(frame).encode(
        y=alt.Y("category:N", sort="-x", title=None),
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(tooltip=["category", alt.Tooltip("probability:Q", format=".4f")])
    labels = base.mark_text(align="left", dx=3).encode(text=alt.Text("probability:Q", format=".1%"))
    return (bars + labels).properties(height=alt.Step(26))
