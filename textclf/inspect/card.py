"""A model card per run: what it learned from, how well it does and where it fails, how sure it
is, and how to make it again, as one Markdown file (the page's download, `python -m textclf
card`). Every number is the run's own; nothing is written by hand."""

from __future__ import annotations

import numpy as np

from textclf.inspect.insight import header_artefacts, top_words
from textclf.inspect.verdict import Z95, accuracy_noise
from textclf.learn.config import changed_settings, config_fields, format_setting, option_name
from textclf.learn.data import Corpus
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run

CONFUSED_PAIRS = 3  # the most confused (true, predicted) pairs listed


def command_options(run: Run) -> str:
    """The run's settings as command-line options, the defaults left out (the same names as the
    link's query parameters)."""
    return " ".join(
        f"--{option_name(name)} {format_setting(value)}"
        for name, value in changed_settings(run.config).items()
    )


def confused_pairs(report: Report, top: int = CONFUSED_PAIRS) -> list[tuple[str, str, int]]:
    """(true label, predicted label, test posts) for the largest off-diagonal cells."""
    confusion = report.confusion.copy()
    np.fill_diagonal(confusion, 0)
    order = np.argsort(confusion, axis=None)[::-1][:top]
    cells = [np.unravel_index(i, confusion.shape) for i in order]
    return [(report.labels[t], report.labels[p], int(confusion[t, p])) for t, p in cells
            if confusion[t, p] > 0]  # fmt: skip


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell and inline: a label or name from a person's file."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>|#$~" else c for c in " ".join(str(text).split()))


def model_card(
    run: Run,
    corpus: Corpus,
    baseline: Report,
    reproduce: str,
    suspects: int | None = None,
) -> str:
    """The card, in Markdown. reproduce: how to get this run again (a link, or the file's name),
    as text;
    suspects: how many test labels the suspect-label search doubts, if it was run."""
    report, config = run.report, run.config
    posts = len(corpus.test_labels)
    half = Z95 * accuracy_noise(report.accuracy, posts) * 100
    calibration = run.reliability()
    lines = [
        f"# Model card: a bag-of-words MLP on {_cell(corpus.name)}",
        "",
        "## Data",
        f"- Source: {_cell(corpus.name)}"
        + (f", the groups {', '.join(config.categories)}" if run.data_source is None else ""),
        f"- {len(corpus.train_labels):,} training and {posts:,} test texts in "
        f"{len(corpus.label_names)} categories"
        + (
            f" ({config.train_share:.0%} of the training texts used)"
            if config.train_share < 1
            else ""
        ),  # fmt: skip
        "- Stripped from the posts: "
        + (", ".join(config.remove) or "nothing (headers, footers and quotes kept)")
        if run.data_source is None
        else "- Split: as the file or the test file gave it",
        "",
        "## Settings",
        "",
        "| setting | value |",
        "|---|---|",
        *[
            f"| {option_name(name)} | {_cell(format_setting(getattr(config, name)) or 'none')} |"
            for name in config_fields()
        ],
        "",
        f"Trained by {run.backend or 'PyTorch'} in {run.train_seconds:.2f} s, "
        f"{run.history[-1].epoch if run.history else 0} epochs"
        + (" (stopped early)" if run.stopped else "")
        + ".",
        "",
        "## How well it does",
        f"- Test accuracy: **{report.accuracy:.2%}** on {posts:,} test texts "
        f"(95% interval ±{half:.1f} points).",
        f"- ComplementNB, scikit-learn's naive Bayes on the same features and split: "
        f"{baseline.accuracy:.2%}.",
        "",
        "| category | precision | recall | F1 | test texts |",
        "|---|---|---|---|---|",
        *[
            f"| {_cell(s.label)} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.support} |"
            for s in report.per_class
        ],
        "",
        "Most confused (true → predicted, test texts):",
        *(
            [f"- {_cell(t)} → {_cell(p)}: {n}" for t, p, n in confused_pairs(report)]
            or ["- none: every test text was answered right"]
        ),
        "",
        "## How sure it is",
        f"- Expected calibration error: {calibration.ece:.3f} (ComplementNB: "
        + (f"{baseline.reliability.ece:.3f}" if baseline.reliability else "n/a")
        + "): the gap between its stated confidence and how often it was right, averaged over "
        "the test texts.",
        "",
        "| stated confidence | test texts | mean confidence | right |",
        "|---|---|---|---|",
        *[
            f"| {b.low:.1f}-{b.high:.1f} | {b.count} | {b.confidence:.3f} | {b.accuracy:.3f} |"
            for b in calibration.bins
        ],
        "",
        "## Caveats",
        *_caveats(run, corpus, suspects),
        "",
        "## Reproduce",
        f"- {_cell(reproduce)}",
        "- `python -m textclf code"
        + (f" {command_options(run)}" if command_options(run) else "")
        + (" --data FILE" if run.data_source is not None else "")
        + "` prints the same run as one plain PyTorch script; `python -m textclf train` with "
        "the same options trains it.",
        "",
    ]
    return "\n".join(lines)


def _caveats(run: Run, corpus: Corpus, suspects: int | None) -> list[str]:
    said = []
    if run.data_source is None and "headers" not in run.config.remove:
        words = sorted({w for ranked in top_words(run.classifier).values() for w, _ in ranked})
        artefacts = header_artefacts(words, corpus.test_texts)
        said.append(
            "- Headers were kept: "
            + (
                f"{len(artefacts)} of its strongest words come mostly from them ("
                + ", ".join(_cell(w) for w in artefacts[:12])
                + "), names and hosts rather than topics. Strip headers for an honest score."
                if artefacts
                else "none of its strongest words comes mostly from them."
            )
        )
    if suspects is None:
        said.append(
            "- Suspect labels: not searched for this run (`python -m textclf suspects`, or "
            "Where it goes wrong on the page)."
        )
    else:
        said.append(
            f"- Suspect labels: {suspects} test texts whose given label a network that never "
            "saw it gives under 5% (5-fold within the test set); a suspect is not proof of an "
            "error."
        )
    said.append(
        "- A bag of words: word order, negation and context are not seen; texts unlike the "
        "training texts get confident answers all the same."
    )
    return said
