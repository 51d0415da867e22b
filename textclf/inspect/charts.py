"""Altair charts of training and results, returned, never drawn. One colour means one thing: a
category's own (category_scale), green raises and red lowers a probability, dashes tell train
from test, blues count posts. Charts take their container's width (phones too); no titles.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from textclf.learn.metrics import ClassScores
from textclf.learn.train import EpochRecord

# 20 colours for up to 20 categories, none of them the green and red that mean "raises" and
# "lowers": Tableau's blues, oranges, purples, browns, teals, yellows, pinks and greys.
CATEGORY_PALETTE = (
    "#4e79a7", "#f28e2b", "#b07aa1", "#9c755f", "#76b7b2", "#edc948", "#ff9da7", "#79706e",
    "#1f3b73", "#d37295", "#a0cbe8", "#ffbe7d", "#d4a6c8", "#d7b5a6", "#499894", "#b6992d",
    "#fabfd2", "#bab0ac", "#8c564b", "#17becf",
)  # fmt: skip
RAISES, LOWERS = "#54a24b", "#e45756"
LINE = "#4c4c4c"  # one series alone (the loss) needs no colour of its own
HEIGHT = 220  # of a curve's plot; Streamlit fits a chart's legend into its height too
LEGEND_ROW = 28


def category_scale(labels) -> alt.Scale:
    """The same colour for a category in every chart: its place among the run's labels."""
    labels = list(labels)
    return alt.Scale(domain=labels, range=list(CATEGORY_PALETTE[: max(len(labels), 1)]))


def _epoch_axis(epochs: int | None) -> alt.X:
    return alt.X(
        "epoch:Q",
        title="epoch",
        scale=alt.Scale(domain=[0, max(epochs or 1, 1)]),  # from before the first step
        axis=alt.Axis(tickMinStep=1, format="d"),
    )


def _accuracy_scale(chance: float, values) -> alt.Scale:
    """From chance to 1; a run below chance widens it downwards rather than leave the chart."""
    low = min([chance, *values]) if len(values) else chance
    return alt.Scale(domain=[math.floor(low * 20) / 20, 1], nice=False)


def _history_frame(history: list[EpochRecord]) -> pd.DataFrame:
    frame = pd.DataFrame([record.__dict__ for record in history])
    if frame.empty:
        frame = pd.DataFrame(columns=["epoch", "loss", "train_accuracy", "test_accuracy"])
    return frame


def loss_chart(history: list[EpochRecord], epochs: int | None = None) -> alt.Chart:
    """The mean training loss per epoch."""
    return (
        alt.Chart(_history_frame(history))
        .mark_line(point=alt.OverlayMarkDef(color=LINE), color=LINE)
        .encode(
            x=_epoch_axis(epochs),
            y=alt.Y("loss:Q", title="loss"),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".4f")],
        )
        .properties(height=HEIGHT)
    )


def accuracy_chart(
    history: list[EpochRecord], epochs: int | None = None, chance: float = 0.0
) -> alt.Chart:
    """Train and test accuracy per epoch, told apart by their dash: a gap that widens is
    overfitting. The axis runs from chance (guessing one category) to 1, fixed, so that the noise
    between epochs does not look like learning."""
    long = _history_frame(history).melt(
        id_vars="epoch", value_vars=["train_accuracy", "test_accuracy"], var_name="posts"
    )
    long["posts"] = long["posts"].str.replace("_accuracy", "")
    return (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(color=LINE, filled=True), color=LINE)
        .encode(
            x=_epoch_axis(epochs),
            y=alt.Y("value:Q", title="accuracy", scale=_accuracy_scale(chance, long["value"])),
            strokeDash=alt.StrokeDash(
                "posts:N",
                scale=alt.Scale(domain=["train", "test"], range=[[4, 3], [1, 0]]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("posts:N"),
                alt.Tooltip("value:Q", format=".4f"),
            ],
        )
        .properties(height=HEIGHT + LEGEND_ROW)
    )


def category_accuracy_chart(
    history: list[EpochRecord], epochs: int | None, labels: tuple[str, ...]
) -> alt.Chart:
    """Each category's test accuracy (its recall) per epoch: which topic is learned first, which
    one slips as the network overfits."""
    frame = pd.DataFrame(
        [
            {"epoch": record.epoch, "category": label, "accuracy": recall}
            for record in history
            for label, recall in zip(labels, record.test_recall, strict=False)
        ],
        columns=["epoch", "category", "accuracy"],
    )
    columns = 1 if len(labels) <= 4 else 2  # of the legend: full names while they fit
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=_epoch_axis(epochs),
            y=alt.Y("accuracy:Q", title="test accuracy", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "category:N",
                scale=category_scale(labels),
                legend=alt.Legend(orient="bottom", columns=columns, title=None, labelLimit=160),
            ),
            tooltip=[
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("category:N"),
                alt.Tooltip("accuracy:Q", format=".3f"),
            ],
        )
        .properties(height=HEIGHT + LEGEND_ROW * -(-len(labels) // columns))
    )


def runs_chart(runs: list[tuple[str, list[EpochRecord]]]) -> alt.Chart:
    """Test accuracy per epoch of several runs, overlaid: older runs lighter."""
    frame = pd.DataFrame(
        [
            {"run": name, "epoch": record.epoch, "test accuracy": record.test_accuracy}
            for name, history in runs
            for record in history
        ]
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("test accuracy:Q", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "run:O",
                sort=[name for name, _ in runs],
                scale=alt.Scale(scheme="greys", domain=[name for name, _ in runs]),
                legend=alt.Legend(orient="bottom", columns=4),
            ),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("test accuracy:Q", format=".4f"),
            ],
        )
        .properties(height=240)
    )


def confusion_chart(confusion: np.ndarray, labels) -> alt.LayerChart:
    """An N x N confusion matrix as a heatmap with its counts: rows true, columns predicted.
    As wide as its container; long group names are shortened on the axes (hover shows them)."""
    labels = list(labels)
    rows = [
        {"true": true, "predicted": predicted, "posts": int(confusion[i, j])}
        for i, true in enumerate(labels)
        for j, predicted in enumerate(labels)
    ]
    frame = pd.DataFrame(rows)
    many = len(labels) > 8
    base = alt.Chart(frame).encode(
        x=alt.X(
            "predicted:N",
            sort=labels,
            title="predicted group",
            # every group named: Vega-Lite would drop labels whose boxes overlap, though slanted
            # ones do not touch (it hid rec.sport.baseball on a phone); many groups stand upright,
            # as columns a phone makes 11 px wide are still a line of text wide
            axis=alt.Axis(labelLimit=110, labelAngle=-90 if many else -45, labelOverlap=False),
        ),
        y=alt.Y("true:N", sort=labels, title="true group", axis=alt.Axis(labelLimit=110)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("posts:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[alt.Tooltip("true:N"), alt.Tooltip("predicted:N"), alt.Tooltip("posts:Q")],
    )
    threshold = frame["posts"].max() / 2
    counts = base.mark_text(fontSize=9 if many else 12).encode(
        text=alt.Text("posts:Q"),
        color=alt.condition(alt.datum.posts > threshold, alt.value("white"), alt.value("black")),
        # a count needs ~16 px: in narrower columns (20 groups on a phone) the colours alone
        # show the matrix, and hovering a cell its count
        opacity=alt.condition(f"width >= {16 * len(labels)}", alt.value(1), alt.value(0)),
    )
    return (cells + counts).properties(height=alt.Step(22 if many else 56))


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
        color=alt.Color("posts:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[alt.Tooltip("cell:N"), alt.Tooltip("posts:Q")],
    )
    threshold = frame["posts"].max() / 2
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("text:N"),
        color=alt.condition(alt.datum.posts > threshold, alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(height=alt.Step(40))


def contribution_chart(
    ranked: list[tuple[str, float]], axis: str = "log-probability lost without the word"
) -> alt.LayerChart:
    """Words' effects on one category's log-probability, sorted, as dots on a scale starting where
    the values do (bars from zero would all look alike), on stems from zero (from the smallest
    effect when every word raises). Green raises, red lowers, as in the highlighted text."""
    frame = pd.DataFrame(ranked, columns=["word", "effect"])
    frame["direction"] = np.where(frame["effect"] >= 0, "raises", "lowers")
    # stems from zero, or from the smallest effect when all raise: lengths then differ visibly
    lowest = float(frame["effect"].min()) if len(frame) else 0.0
    frame["from"] = 0.0 if lowest < 0 else lowest
    y = alt.Y("word:N", sort=list(frame["word"]), title=None, axis=alt.Axis(labelLimit=140))
    x = alt.X("effect:Q", title=axis, scale=alt.Scale(zero=False, nice=False, padding=8))
    base = alt.Chart(frame).encode(y=y)
    stems = base.mark_rule(color="#bbbbbb").encode(x=x, x2=alt.X2("from:Q"))
    dots = base.mark_circle(size=90, opacity=1).encode(
        x=x,
        color=alt.Color(
            "direction:N",
            scale=alt.Scale(domain=["raises", "lowers"], range=[RAISES, LOWERS]),
            legend=None,
        ),
        tooltip=[alt.Tooltip("word:N"), alt.Tooltip("effect:Q", format=".4f")],
    )
    return (stems + dots).properties(height=alt.Step(20))


def hidden_map_chart(points: np.ndarray, categories: list[str], subjects: list[str], labels=None):
    """Test posts placed by the network's last hidden layer (PCA to 2-D), coloured by true group."""
    frame = pd.DataFrame(
        {"x": points[:, 0], "y": points[:, 1], "group": categories, "subject": subjects}
    )
    labels = list(labels) if labels is not None else sorted(set(categories))
    return (
        alt.Chart(frame)
        .mark_circle(size=18, opacity=0.6)
        .encode(
            x=alt.X("x:Q", title="first principal component"),
            y=alt.Y("y:Q", title="second principal component"),
            color=alt.Color(
                "group:N",
                scale=category_scale(labels),
                legend=alt.Legend(orient="bottom", columns=2, title=None, labelLimit=160),
            ),
            tooltip=[alt.Tooltip("group:N"), alt.Tooltip("subject:N")],
        )
        .properties(height=380)
        .interactive()
    )


def probability_chart(ranked: list[tuple[str, float]], labels=None) -> alt.LayerChart:
    """Horizontal bars in each category's colour, most probable on top."""
    frame = pd.DataFrame(ranked, columns=["category", "probability"])
    labels = list(labels) if labels is not None else sorted(frame["category"])
    base = alt.Chart(frame).encode(
        y=alt.Y("category:N", sort="-x", title=None, axis=alt.Axis(labelLimit=140)),
        x=alt.X(
            "probability:Q",
            scale=alt.Scale(domain=[0, 1.15]),
            axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("category:N", scale=category_scale(labels), legend=None),
        tooltip=[alt.Tooltip("category:N"), alt.Tooltip("probability:Q", format=".4f")],
    )
    text = base.mark_text(align="left", dx=3).encode(text=alt.Text("probability:Q", format=".1%"))
    return (bars + text).properties(height=alt.Step(26))


def activation_strip(values: np.ndarray) -> alt.Chart:
    """One hidden layer's units as a strip of cells coloured by value: white is zero (ReLU's
    silent units), orange positive, blue negative."""
    frame = pd.DataFrame({"unit": np.arange(len(values)), "value": values.astype(float)})
    largest = float(np.abs(values).max()) or 1.0
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("unit:O", axis=None),
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(scheme="blueorange", domain=[-largest, largest]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("unit:O"), alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=28)
    )


def replay_map_chart(
    points: np.ndarray, groups: list[str], labels, domain: tuple[tuple[float, float], ...]
) -> alt.Chart:
    """One epoch's map of the test posts, on axes fixed across epochs (domain: x and y ranges),
    so the groups visibly move apart as the epochs pass."""
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "group": groups})
    return (
        alt.Chart(frame)
        .mark_circle(size=22, opacity=0.7)
        .encode(
            x=alt.X("x:Q", title="first component", scale=alt.Scale(domain=list(domain[0]))),
            y=alt.Y("y:Q", title="second component", scale=alt.Scale(domain=list(domain[1]))),
            color=alt.Color(
                "group:N",
                scale=category_scale(labels),
                legend=alt.Legend(orient="bottom", columns=2, title=None, labelLimit=160),
            ),
            tooltip=[alt.Tooltip("group:N")],
        )
        .properties(height=320)
    )


def reliability_chart(reliability) -> alt.LayerChart:
    """calibration.Reliability drawn: each bin's share answered right (bars) against its mean
    stated confidence (ticks); on the diagonal, "90%" means right 9 times in 10."""
    frame = pd.DataFrame(
        [
            {
                "confidence": b.confidence,
                "accuracy": b.accuracy,
                "posts": b.count,
                "from": b.low,
                "to": b.high,
            }
            for b in reliability.bins
        ]
    )
    x = alt.X("from:Q", title="the network's stated confidence", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))  # fmt: skip
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#4c78a8", opacity=0.8)
        .encode(
            x=x,
            x2=alt.X2("to:Q"),
            y2=alt.datum(0),  # a bar from 0 up to the share right
            y=alt.Y(
                "accuracy:Q",
                title="share right",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("posts:Q"),
                alt.Tooltip("confidence:Q", format=".1%", title="mean confidence"),
                alt.Tooltip("accuracy:Q", format=".1%", title="right"),
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"from": [0.0, 1.0], "accuracy": [0.0, 1.0]}))
        .mark_line(color=LINE, strokeDash=[4, 3])
        .encode(x=x, y=alt.Y("accuracy:Q"))
    )
    return (bars + diagonal).properties(height=HEIGHT)
