"""`python -m textclf bench`: our network beside the tutorial's loop and scikit-learn's models.
Each (scenario, row) runs in a fresh process, so its peak memory is its own; ours on both backends
(C, and TEXTCLF_NATIVE=0). --before DIR adds another checkout's: a change beside its past.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from textclf.fast.threads import available_cores, set_threads_for_training
from textclf.learn.config import (
    BEST_ACCURACY,
    METADATA,
    NEWSGROUPS,
    TUTORIAL,
    TUTORIAL_CATEGORIES,
    replace,
)

SCENARIOS = {
    "3 groups": (TUTORIAL_CATEGORIES, ()),
    "3 groups, stripped": (TUTORIAL_CATEGORIES, METADATA),
    "20 groups": (NEWSGROUPS, ()),
    "20 groups, stripped": (NEWSGROUPS, METADATA),
}
REFERENCE = "tutorial loop (reference)"
OURS_TUTORIAL = "ours, tutorial config"
NATIVE, PLAIN = "C kernels", "plain PyTorch"
OURS_NATIVE = f"{OURS_TUTORIAL}, {NATIVE}"
OURS_PLAIN = f"{OURS_TUTORIAL}, {PLAIN}"
BEFORE_NATIVE = f"before, {OURS_TUTORIAL}, {NATIVE}"
BEFORE_PLAIN = f"before, {OURS_TUTORIAL}, {PLAIN}"
OURS_BEST = "ours, best-accuracy preset"
BASELINES = ("sklearn ComplementNB", "sklearn LogisticRegression", "sklearn LinearSVC")
SKLEARN = "sklearn"  # the three baselines, measured in one process
ROWS = (REFERENCE, OURS_NATIVE, OURS_PLAIN, OURS_BEST, SKLEARN)
SEEDS = (0, 1, 2)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _predict_ms(predict_one, texts: list[str]) -> float:
    """Median milliseconds to answer one post, over up to 200 posts."""
    times = []
    for text in texts[:200]:
        start = time.perf_counter()
        predict_one(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _posts_of_words(corpus, words: int) -> list[str]:
    """Test posts of at least `words` words, cut to exactly that many."""
    return [" ".join(t.split()[:words]) for t in corpus.test_texts if len(t.split()) >= words]


def measure(scenario: str, row: str, reference_epochs: int) -> dict | list[dict]:
    """One table cell group: accuracy, load + vectorise s, training s, predict ms, peak MB. Modules
    are imported before the clock starts, as in the app's server: importing scikit-learn is a cost
    of starting the process, not of loading the data (bench/README.md)."""
    import sklearn.datasets  # noqa: F401 - imported here, timed nowhere
    import sklearn.feature_extraction.text  # noqa: F401

    from textclf.learn.data import load_newsgroups
    from textclf.learn.pipeline import load_and_vectorise
    from textclf.serve.memory import release_freed_memory

    categories, remove = SCENARIOS[scenario]
    start = time.perf_counter()
    corpus = load_newsgroups(categories, remove)
    load_seconds = time.perf_counter() - start
    result = {"scenario": scenario, "row": row, "seeds": 1}
    if row == REFERENCE:
        from textclf.inspect.reference import train_tutorial

        start = time.perf_counter()
        trained = train_tutorial(corpus, epochs=reference_epochs)
        result.update(
            accuracy=trained["accuracy"],
            load_seconds=load_seconds,  # the tutorial builds its vocabulary inside its loop
            train_seconds=trained["train_seconds"] * 10 / reference_epochs,
            extrapolated=reference_epochs != 10,
            epochs_run=reference_epochs,
            predict_ms=None,
        )
    elif row in (OURS_TUTORIAL, OURS_BEST):
        from textclf.fast.optimizers import make_optimizer
        from textclf.inspect.explain import explain
        from textclf.learn.pipeline import run
        from textclf.learn.predict import predict_text

        base = TUTORIAL if row == OURS_TUTORIAL else BEST_ACCURACY
        backends = set()
        config = replace(base, categories=categories, remove=remove)
        start = time.perf_counter()
        corpus, features = load_and_vectorise(config, corpus)
        release_freed_memory()  # as the app and the command line do before training
        load_seconds += time.perf_counter() - start
        accuracies, seconds = [], []
        for seed in SEEDS:
            classifier = None  # one network alive at a time, as in a process that trains once
            trained = run(
                replace(config, seed=seed), corpus, features, optimizer_for=make_optimizer
            )
            accuracies.append(trained.report.accuracy)
            seconds.append(trained.train_seconds)
            backends.add(trained.backend)
            classifier = trained.classifier  # the last seed's, for the prediction timings
            del trained
        result.update(
            accuracy=statistics.median(accuracies),
            accuracies=accuracies,
            load_seconds=load_seconds,
            train_seconds=statistics.median(seconds),
            predict_ms=_predict_ms(lambda t: predict_text(classifier, t), corpus.test_texts),
            explain_ms=_predict_ms(lambda t: explain(classifier, t), _posts_of_words(corpus, 300)),
            seeds=len(SEEDS),
            vocabulary=features.X_train.shape[1],
            backend=", ".join(sorted(backends)),
        )
    else:  # the three baselines share one process and one vectorizer
        results = _baselines(result, corpus, load_seconds)
        for baseline in results:
            baseline["peak_mb"] = _peak_mb()
        return results
    result["peak_mb"] = _peak_mb()
    return result


def _baselines(result: dict, corpus, load_seconds: float) -> list[dict]:
    """scikit-learn's own 20 Newsgroups example: its TF-IDF settings, fitted once, and its
    classifiers, one result each."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True, max_df=0.5, min_df=5, stop_words="english")
    X_train = vectorizer.fit_transform(corpus.train_texts)
    X_test = vectorizer.transform(corpus.test_texts)
    load_seconds += time.perf_counter() - start
    models = {
        "sklearn ComplementNB": ComplementNB(alpha=0.1),
        "sklearn LogisticRegression": LogisticRegression(C=5, max_iter=1000),
        "sklearn LinearSVC": LinearSVC(C=0.1, dual=False, max_iter=1000),
    }
    results = []
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, corpus.train_labels)
        train_seconds = time.perf_counter() - start
        results.append(
            {
                **result,
                "row": name,
                "accuracy": float(np.mean(model.predict(X_test) == corpus.test_labels)),
                "load_seconds": load_seconds,
                "train_seconds": train_seconds,
                "predict_ms": _predict_ms(
                    lambda t, m=model: m.predict(vectorizer.transform([t])), corpus.test_texts
                ),
            }
        )
    return results


def _run_isolated(
    scenario: str, row: str, reference_epochs: int, before: Path | None = None
) -> dict | list[dict]:
    """One row in a fresh process: ours on either backend (named in the row) or, with before,
    the checkout in that folder measuring its own tutorial row."""
    env = dict(os.environ)
    if row.endswith(PLAIN):
        env["TEXTCLF_NATIVE"] = "0"  # as on a machine without a compiler
    asked = OURS_TUTORIAL if row.endswith((NATIVE, PLAIN)) else row
    command = [
        sys.executable,
        "-m",
        "textclf.bench",
        "--one",
        scenario,
        asked,
        str(reference_epochs),
    ]
    if before is not None:
        env["PYTHONPATH"] = str(before)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                          cwd=before)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} / {row} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if isinstance(result, dict) and "row" in result:
        result["row"] = row
    return result


def _format_table(results: list[dict]) -> str:
    lines = [
        "| scenario | row | test accuracy | load + vectorise s | training s | predict ms/post "
        "| explain ms/300 words | peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        accuracy = f"{r['accuracy']:.4f}"
        if r["seeds"] > 1:
            accuracy += f" (median of {r['seeds']} seeds)"
        if r.get("extrapolated"):
            accuracy += f" (after {r['epochs_run']} epoch)"
        train = f"{r['train_seconds']:.2f}" + (" (1 epoch x 10)" if r.get("extrapolated") else "")
        predict = "-" if r["predict_ms"] is None else f"{r['predict_ms']:.2f}"
        explained = f"{r['explain_ms']:.1f}" if r.get("explain_ms") is not None else "-"
        lines.append(
            f"| {r['scenario']} | {r['row']} | {accuracy} | {r['load_seconds']:.2f} | {train} "
            f"| {predict} | {explained} | {r['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def _format_ratios(results: list[dict]) -> str:
    lines = [
        "| scenario | reference s / C kernels s | plain s / C kernels s | C kernels s / before |"
        " plain s / before | C kernels - exact | plain - exact | best preset - best sklearn |"
        " best sklearn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def ratio(rows, a, b):
        if a not in rows or b not in rows:
            return "-"
        return f"{rows[a]['train_seconds'] / rows[b]['train_seconds']:.2f}x"

    def gap(rows, row):
        exact = rows.get("exact", {}).get("exact_accuracy")
        if exact is None or row not in rows:
            return "-"
        return f"{(rows[row]['accuracy'] - exact) * 100:+.2f} pts"

    for scenario in SCENARIOS:
        rows = {r.get("row", "exact"): r for r in results if r["scenario"] == scenario}
        best_baseline = max(BASELINES, key=lambda b: rows[b]["accuracy"])
        margin = rows[OURS_BEST]["accuracy"] - rows[best_baseline]["accuracy"]
        lines.append(
            f"| {scenario} | {ratio(rows, REFERENCE, OURS_NATIVE)} "
            f"| {ratio(rows, OURS_PLAIN, OURS_NATIVE)} | {ratio(rows, OURS_NATIVE, BEFORE_NATIVE)} "
            f"| {ratio(rows, OURS_PLAIN, BEFORE_PLAIN)} | {gap(rows, OURS_NATIVE)} "
            f"| {gap(rows, OURS_PLAIN)} | {margin * 100:+.2f} pts "
            f"| {best_baseline} {rows[best_baseline]['accuracy']:.4f} |"
        )
    return "\n".join(lines)


def exact_adam_accuracy(scenario: str) -> float:
    """Median test accuracy of the tutorial config trained with dense gradients and torch Adam."""
    from textclf.learn.data import load_newsgroups
    from textclf.learn.features import fit_features
    from textclf.learn.train import evaluate, train, tutorial_optimizer

    categories, remove = SCENARIOS[scenario]
    corpus = load_newsgroups(categories, remove)
    features = fit_features(corpus)
    scores = []
    for seed in SEEDS:
        trained = train(
            replace(TUTORIAL, categories=categories, remove=remove, seed=seed),
            features.X_train,
            corpus.train_labels,
            features.X_test,
            corpus.test_labels,
            len(corpus.label_names),
            initial_rows=features.alphabetical,
            optimizer_for=tutorial_optimizer,
        )
        scores.append(evaluate(trained.model, features.X_test, corpus.test_labels)[0])
    return statistics.median(scores)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m textclf bench", description=__doc__)
    parser.add_argument("--scenarios", default=";".join(SCENARIOS), help="';'-separated")
    parser.add_argument("--rows", default=";".join(ROWS), help="';'-separated")
    parser.add_argument("--out", default="bench/results", help="folder for latest.json / latest.md")
    parser.add_argument(
        "--before", metavar="DIR", type=Path, help="a checkout of the code before a change"
    )
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a measuring process of its own: the command line's one setting, made here
        set_threads_for_training()
        scenario, row, epochs = args.one
        if row == "exact":
            print(json.dumps({"exact_accuracy": exact_adam_accuracy(scenario)}))
        else:
            print(json.dumps(measure(scenario, row, int(epochs))))
        return 0
    scenarios = [s for s in args.scenarios.split(";") if s]
    rows = [r for r in args.rows.split(";") if r]
    unknown = sorted(set(scenarios) - set(SCENARIOS)) + sorted(set(rows) - set(ROWS))
    if unknown:
        parser.error(f"unknown scenario or row: {', '.join(unknown)}")
    results = []
    started = time.perf_counter()
    for scenario in scenarios:
        if scenario.startswith("3") and OURS_NATIVE in rows:
            exact = _run_isolated(scenario, "exact", 10)
            results.append({"scenario": scenario, "row": "exact", **exact})
        planned = [(row, None) for row in rows]
        if args.before is not None and OURS_NATIVE in rows:  # beside ours, in turn
            at = rows.index(OURS_NATIVE)
            planned[at:at] = [(BEFORE_NATIVE, args.before)]
            planned.insert(at + 2, (BEFORE_PLAIN, args.before))
        for row, before in planned:
            epochs = 1 if row == REFERENCE and scenario.startswith("20") else 10
            print(
                f"[{time.perf_counter() - started:6.0f}s] {scenario} / {row} …",
                file=sys.stderr,
                flush=True,
            )
            result = _run_isolated(scenario, row, epochs, before)
            results.extend(result if isinstance(result, list) else [result])
    table = _format_table([r for r in results if r["row"] != "exact"])
    machine = (
        f"{platform.machine()}, {available_cores()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}"
    )
    report = f"Measured on {machine}; total {time.perf_counter() - started:.0f} s.\n\n{table}\n"
    if set(scenarios) == set(SCENARIOS) and set(rows) == set(ROWS):
        report += "\n" + _format_ratios(results) + "\n"
    print(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    (out / "latest.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
