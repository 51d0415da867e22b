"""`python -m textclf train|code|predict`: the app's core, headless. Options carry URL names."""

from __future__ import annotations

import argparse
import json
import sys

from textclf.io.links import EXERCISE_PARAMETERS
from textclf.io.text import printable
from textclf.learn.config import (
    ACTIVATIONS,
    FEATURE_KINDS,
    NEWSGROUPS,
    TrainConfig,
    config_fields,
    format_setting,
    option_name,
    parse_setting,
    settings_problems,
)


class _Parser(argparse.ArgumentParser):
    """Exits 2 with one line saying what is wrong, not a usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _setting(name: str):
    def parse(text: str):
        try:
            return parse_setting(name, text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error).split(": ", 1)[-1]) from None

    parse.__name__ = option_name(name)  # argparse names the type in its messages
    return parse


def _fraction(text: str) -> float:
    from textclf.io.tables import TEST_SIZE_RANGE

    low, high = TEST_SIZE_RANGE
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is outside {low} to {high}")
    return value


def _split_seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 to {2**32 - 1}")
    return value


def _load_corpus(args: argparse.Namespace, config: TrainConfig):
    """The texts to train on: the person's file, or 20 Newsgroups (from the archive if given)."""
    from textclf.io.tables import corpus_from_tables, read_table
    from textclf.learn.data import (
        has_newsgroups,
        install_archive,
        load_newsgroups,
        writable_data_home,
    )

    if args.data:
        test_table = read_table(args.test_data) if args.test_data else None
        return corpus_from_tables(
            read_table(args.data),
            args.text_column,
            args.label_column,
            args.test_size,
            args.split_seed,
            test_table,
        )
    if getattr(args, "archive", None) and not has_newsgroups():
        home = install_archive(args.archive, writable_data_home())
        return load_newsgroups(config.categories, config.remove, download=False, home=home)
    return load_newsgroups(config.categories, config.remove)


def _add_training_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The settings of TrainConfig, and the options that name a person's own file."""
    helps = {
        "categories": "comma-separated newsgroups (default: the tutorial's three; any of "
        + ", ".join(NEWSGROUPS)
        + ")",
        "remove": "comma-separated parts to strip from posts: headers,footers,quotes",
        "features": f"one of {', '.join(FEATURE_KINDS)}",
        "activation": f"after each hidden layer: one of {', '.join(ACTIVATIONS)}",
        "optimizer": "adam, or sgd (with momentum 0.9)",
    }
    for name, field in config_fields().items():
        default = field.default
        shown = format_setting(default)
        help_text = helps.get(name) or field.metadata.get("help", "")
        parser.add_argument(
            f"--{option_name(name)}",
            dest=name,
            type=_setting(name),
            default=default,
            metavar=type(default).__name__.upper() if not isinstance(default, tuple) else "LIST",
            help=f"{help_text} (default: {shown})",
        )
    own = parser.add_argument_group(
        "your own texts", "a labelled CSV, TSV or JSON Lines file instead of 20 Newsgroups"
    )
    own.add_argument("--data", metavar="FILE", help="the labelled file to train and test on")
    own.add_argument("--text-column", metavar="C", help="its text column (default: guessed)")
    own.add_argument("--label-column", metavar="L", help="its label column (default: guessed)")
    own.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        metavar="F",
        help="share of rows held out for testing, stratified by label (default: 0.2)",
    )
    own.add_argument(
        "--split-seed",
        type=_split_seed,
        default=0,
        metavar="N",
        help="seeds the split (default: 0)",
    )
    own.add_argument("--test-data", metavar="FILE", help="a separate test file (no split)")
    page = parser.add_argument_group("exercise links", "they shape the page only: ignored here")
    for name in EXERCISE_PARAMETERS:
        page.add_argument(f"--{name}", metavar="TEXT", help=f"a link's {name}=")
    return parser


def _note_exercise(args: argparse.Namespace) -> None:
    given = [f"--{name}" for name in EXERCISE_PARAMETERS if getattr(args, name, None)]
    if given:
        print(
            f"note: {', '.join(given)} shape an exercise page; the command line ignores them",
            file=sys.stderr,
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m textclf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    # the commands that train a run first, each with train's options
    train, _, card, suspects = (
        _add_training_options(commands.add_parser(name, help=text))
        for name, text in (
            ("train", "train a network on 20 Newsgroups (or your own labelled texts) and score it"),
            ("code", "print one plain PyTorch script that trains the same network "
             "(train's options)"),
            ("card", "train the run and print its model card in Markdown (train's options)"),
            ("suspects", "the test texts whose label the network doubts most, out of sample "
             "(train's options)"),
        )
    )  # fmt: skip
    train.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    train.add_argument("--save", metavar="PATH", help="write the trained model to this file")
    train.add_argument(
        "--archive",
        metavar="FILE",
        help="offline: 20 Newsgroups from a local copy of the official 20news-bydate.tar.gz",
    )
    card.add_argument(
        "--no-suspects",
        action="store_true",
        help="skip the suspect-label search (it trains 5 more networks)",
    )
    suspects.add_argument("--top", type=int, default=20, metavar="N", help="how many (default: 20)")
    suspects.add_argument("--json", action="store_true", help="print one JSON list on stdout")

    predict = commands.add_parser("predict", help="probabilities of a saved model for a text")
    predict.add_argument("--model", required=True, metavar="PATH", help="a file from train --save")
    predict.add_argument("text", help="the text to classify ('-' reads standard input)")
    predict.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    predict.add_argument(
        "--explain", action="store_true", help="also each word's effect on the top categories"
    )

    commands.add_parser(
        "bench",
        help="measure ours against the tutorial's loop and scikit-learn (about 10 minutes)",
        add_help=False,
    )
    return parser


class _Refused(Exception):
    """A command's one line on stderr, and its exit code."""

    def __init__(self, line: str, code: int = 2):
        super().__init__(line)
        self.code = code


def _loaded(args: argparse.Namespace):
    """The config train's options describe, with its data, checked as a training would be.
    Raises _Refused with the one line to print."""
    from textclf.fast.threads import set_threads_for_training
    from textclf.io.tables import DataProblem
    from textclf.learn.data import DataUnavailable
    from textclf.learn.pipeline import load_and_vectorise
    from textclf.serve.budget import hosted_problems
    from textclf.serve.memory import release_freed_memory

    command = f"python -m textclf {args.command}"
    _note_exercise(args)
    settings = {name: getattr(args, name) for name in config_fields()}
    problems = settings_problems(settings)
    if problems:
        raise _Refused(f"{command}: error: {'; '.join(problems)}")
    config = TrainConfig(**settings)
    if (args.text_column or args.label_column or args.test_data) and not args.data:
        message = "--text-column, --label-column and --test-data need --data"
        raise _Refused(f"{command}: error: {message}")
    try:
        texts = _load_corpus(args, config)
        corpus, features = load_and_vectorise(config, texts)
    except DataProblem as error:  # it may quote the file: printable
        raise _Refused(f"{command}: error: {printable(str(error))}") from None
    except DataUnavailable as error:
        raise _Refused(f"{command}: {error}", code=1) from None
    for note in corpus.notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    problems = hosted_problems(config, features)
    if problems:
        if any("the limit" in problem for problem in problems):  # here, the person sets them
            problems.append("the limits are TEXTCLF_RUN_MB and TEXTCLF_RUN_SECONDS (0 lifts them)")
        raise _Refused(f"{command}: error: {'; '.join(problems)}")
    # the command line's one process-wide setting, made as a training starts: torch's threads
    # for the optimiser make_optimizer picks; and what vectorising freed, given back first
    set_threads_for_training(config)
    release_freed_memory()
    return config, corpus, features, texts


def _trained(args: argparse.Namespace, quiet: bool):
    """The run train's options describe, with its data (vectorised, and the texts as loaded):
    epochs printed as they pass (on stderr when stdout carries the result)."""
    from textclf.fast.optimizers import make_optimizer
    from textclf.learn.pipeline import run

    config, corpus, features, texts = _loaded(args)
    progress = sys.stderr if quiet else sys.stdout

    def on_epoch(record):
        print(
            f"epoch {record.epoch:>3}/{config.epochs}  loss {record.loss:.4f}  "
            f"train {record.train_accuracy:.4f}  test {record.test_accuracy:.4f}  "
            f"{record.seconds:.2f}s",
            file=progress,
            flush=True,
        )

    found = run(config, corpus, features, on_epoch=on_epoch, optimizer_for=make_optimizer)
    return found, corpus, features, texts


def _refusing(command):
    """command(args) -> int, with a _Refused turned into its line and exit code."""

    def guarded(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Refused as refused:
            print(refused, file=sys.stderr)
            return refused.code

    return guarded


@_refusing
def _train(args: argparse.Namespace) -> int:
    from textclf.io.persist import save_classifier

    result, *_ = _trained(args, quiet=args.json)
    if args.save:
        try:
            save_classifier(result.classifier, args.save)
        except OSError as error:
            print(
                f"python -m textclf train: cannot write {args.save}: {error.strerror}",
                file=sys.stderr,
            )
            return 1
    if args.json:
        print(json.dumps(result.summary()))
        return 0
    report = result.report
    print(f"test accuracy {report.accuracy:.4f}  training loop {result.train_seconds:.2f}s")
    width = max(len(printable(label)) for label in report.labels)
    print(f"{'':<{width}}  precision  recall     f1  support")
    for s in report.per_class:
        label = printable(s.label)  # a person's file names the labels
        print(f"{label:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}")
    if args.save:
        print(f"model saved to {args.save}")
    return 0


@_refusing
def _card(args: argparse.Namespace) -> int:
    """Trains the run and prints its model card (Markdown) on stdout."""
    from textclf.fast.optimizers import make_optimizer
    from textclf.inspect.card import model_card
    from textclf.inspect.insight import baseline_report
    from textclf.inspect.suspects import (
        count_suspects,
        out_of_sample_log_probabilities,
        rank_suspects,
    )
    from textclf.io.links import link_query

    result, corpus, features, texts = _trained(args, quiet=True)
    suspects = None
    if not args.no_suspects:  # the texts as loaded keep the training texts the folds need
        log_probabilities = out_of_sample_log_probabilities(
            result.config, texts, optimizer_for=make_optimizer
        )
        suspects = count_suspects(
            rank_suspects(log_probabilities, texts.test_labels, texts.label_names)
        )
    if args.data:
        reproduce = f"Train on the file {args.data} with the options below."
    else:
        query = link_query(result.config)
        reproduce = "Open the app's address" + (f" followed by ?{query}" if query else "")
    baseline = baseline_report(corpus, features)
    print(model_card(result, corpus, baseline, reproduce, suspects), end="")
    return 0


@_refusing
def _suspects(args: argparse.Namespace) -> int:
    """The suspect-label ranking: K-fold within the test set, each fold trained as train would."""
    from textclf.fast.optimizers import make_optimizer
    from textclf.inspect.suspects import out_of_sample_log_probabilities, rank_suspects

    if args.top < 1:
        raise _Refused(f"python -m textclf suspects: error: --top: {args.top} is not 1 or more")
    from textclf.learn.data import default_test_positions

    config, _, _, corpus = _loaded(args)  # the texts as loaded, the training texts kept

    def on_fold(done: int, folds: int) -> None:
        print(f"fold {done}/{folds}", file=sys.stderr, flush=True)

    try:
        probabilities = out_of_sample_log_probabilities(
            config, corpus, on_fold=on_fold, optimizer_for=make_optimizer
        )
    except ValueError as error:
        raise _Refused(f"python -m textclf suspects: error: {error}") from None
    found = rank_suspects(probabilities, corpus.test_labels, corpus.label_names, args.top)
    # where a post is in fetch_20newsgroups(subset="test"), or a row in the person's file
    index = corpus.test_ids if args.data else default_test_positions(corpus.test_ids)
    if args.json:
        rows = [{"index": index[s.position], "given": s.given, "guess": s.guess,
                 "score": round(s.score, 4)} for s in found]  # fmt: skip
        print(json.dumps(rows))
        return 0
    for s in found:
        given, guess = printable(s.given), printable(s.guess)
        print(f"{index[s.position]:>6}  doubt {s.score:7.2f}  {given} -> {guess}")
    return 0


def _code(args: argparse.Namespace) -> int:
    """Prints the plain PyTorch script of the run `train` would make with these options."""
    from textclf.io.export import own_data, training_script
    from textclf.io.tables import DataProblem

    def refuse(message: str) -> int:
        print(f"python -m textclf code: error: {message}", file=sys.stderr)
        return 2

    _note_exercise(args)
    settings = {name: getattr(args, name) for name in config_fields()}
    problems = settings_problems(settings)
    if problems:
        return refuse("; ".join(problems))
    if (args.text_column or args.label_column or args.test_data) and not args.data:
        return refuse("--text-column, --label-column and --test-data need --data")
    data = None
    if args.data:  # read as train reads it, so the script names the columns train would use
        try:
            data = own_data(
                args.data,
                args.text_column,
                args.label_column,
                args.test_size,
                args.split_seed,
                args.test_data,
            )
        except DataProblem as error:  # it may quote the file: printable
            return refuse(printable(str(error)))
    print(training_script(TrainConfig(**settings), data), end="")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from textclf.inspect.explain import explain
    from textclf.io.persist import ModelFileError, load_classifier
    from textclf.learn.predict import MAX_TEXT_CHARS, predict_text

    # one character past the limit is enough for predict_text to say the text is too long
    text = sys.stdin.read(MAX_TEXT_CHARS + 1) if args.text == "-" else args.text
    try:
        classifier = load_classifier(args.model)
    except ModelFileError as error:  # it may quote the file: printable
        print(f"python -m textclf predict: error: {printable(str(error))}", file=sys.stderr)
        return 2
    prediction = predict_text(classifier, text)
    explanation = explain(classifier, text) if args.explain else None
    if args.json:
        output = dict(prediction.__dict__)
        if explanation is not None:
            output["explanation"] = {
                "warning": explanation.warning,
                "unknown_words": list(explanation.unknown),
                "words": {
                    label: dict(explanation.ranked(label, top=len(explanation.words)))
                    for label in explanation.labels
                },
            }
        print(json.dumps(output))
        return 0
    # labels and words come from the model file (and the text): printable, never raw
    if prediction.message:
        print(prediction.message)
    for label, probability in prediction.ranked():
        print(f"{probability:7.4f}  {printable(label)}")
    if explanation is not None:
        if explanation.warning:
            print(explanation.warning)
        for label, _ in prediction.ranked()[:2]:
            ranked = explanation.ranked(label, top=8)
            words = ", ".join(f"{printable(w)} {e:+.3f}" for w, e in ranked)
            print(f"raise {printable(label)}: {words}")
        if explanation.unknown:
            unknown = ", ".join(map(printable, explanation.unknown[:20]))
            print(f"never seen in training: {unknown}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its own options: python -m textclf bench --help
        from textclf.bench import main as bench

        return bench(argv[1:])
    args = build_parser().parse_args(argv)
    commands = {
        "train": _train,
        "code": _code,
        "card": _card,
        "suspects": _suspects,
        "predict": _predict,
    }
    return commands[args.command](args)
