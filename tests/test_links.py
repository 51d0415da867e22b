from urllib.parse import parse_qs

from textclf.io.links import MAX_LINK_TEXT, MAX_TASK_CHARS, link_query, read_link
from textclf.learn.config import TUTORIAL, replace


def test_a_link_round_trips_every_setting():
    config = replace(
        TUTORIAL,
        categories=("rec.autos", "sci.med", "talk.politics.guns"),
        remove=("headers", "quotes"),
        features="tfidf",
        max_features=20_000,
        hidden=500,
        layers=1,
        dropout=0.25,
        lr=0.003,
        batch_size=64,
        epochs=7,
        seed=42,
    )
    params = parse_qs(link_query(config, "the pitcher threw"), keep_blank_values=True)
    reading = read_link(params)
    assert reading.ignored == []
    assert replace(TUTORIAL, **reading.settings) == config
    assert reading.text == "the pitcher threw"


def test_the_tutorial_link_is_empty():
    assert link_query(TUTORIAL) == ""


def test_names_are_the_command_line_options():
    query = link_query(replace(TUTORIAL, max_features=5000, batch_size=32))
    assert query == "max-features=5000&batch-size=32"


def test_bad_values_are_ignored_and_named():
    reading = read_link(
        {
            "hidden": ["lots"],
            "epochs": ["999"],
            "lr": ["nan"],
            "categories": ["sci.space"],
            "max-features": ["1234"],
            "seed": ["<script>alert(1)</script>"],
            "features": ["bert"],
            "utm_source": ["mail"],
            "layers": ["3"],
        }
    )
    assert reading.settings == {"layers": 3}
    text = " | ".join(reading.ignored)
    for name in ("hidden", "epochs", "lr", "categories", "max-features", "seed", "features"):
        assert name in text
    assert "1 unknown parameter" in text
    assert "<script>" not in text  # values are never echoed back as they came


def test_junk_never_raises():
    junk = "x" * 10_000
    reading = read_link(
        {"hidden": [junk], junk: [junk], "categories": [junk, "sci.space"], "text": [junk]}
    )
    assert "hidden" not in reading.settings and "categories" not in reading.settings
    assert len(reading.text) == MAX_LINK_TEXT
    assert read_link({"hidden": [junk], "layers": ["1"]}).settings == {"layers": 1}


def test_unknown_newsgroups_are_left_out_of_a_list():
    reading = read_link({"categories": ["sci.space", "sci.fiction", "rec.autos"]})
    assert reading.settings["categories"] == ("sci.space", "rec.autos")
    assert any("1 unknown value" in item for item in reading.ignored)


def test_the_new_knobs_travel_in_a_link():
    config = replace(
        TUTORIAL, activation="gelu", optimizer="sgd", weight_decay=0.001, train_share=0.25
    )
    query = link_query(config)
    assert query == "activation=gelu&optimizer=sgd&weight-decay=0.001&train-share=0.25"
    reading = read_link(parse_qs(query))
    assert reading.ignored == [] and replace(TUTORIAL, **reading.settings) == config
    bad = read_link({"activation": ["softmax"], "optimizer": ["lbfgs"], "train-share": ["0"]})
    assert bad.settings == {} and len(bad.ignored) == 3


def test_widgets_read_only_what_the_notice_says_is_used():
    """A link's values the notice calls ignored must not reach the URL-bound widgets (Streamlit
    would read `2.5` as 2), and the command line's comma form reaches them as a list."""
    from textclf.io.links import widget_values

    params = {
        "epochs": ["2.5"],
        "hidden": ["40.0"],
        "categories": ["sci.space,rec.autos"],
        "lr": ["0.003"],
        "utm_source": ["mail"],
    }
    reading = read_link(params)
    assert widget_values(params, reading) == {
        "epochs": 10,
        "hidden": 100,
        "categories": ("sci.space", "rec.autos"),
        "lr": 0.003,
    }
    assert {item.split(":")[0] for item in reading.ignored} >= {"epochs", "hidden"}


def test_an_exercise_link_round_trips_and_reads_only_what_it_can():
    config = replace(TUTORIAL, hidden=40)
    query = link_query(config, locked=("hidden", "layers"), hidden=("optimizer",), task="Go")
    reading = read_link(parse_qs(query))
    assert reading.settings == {"hidden": 40} and not reading.ignored
    assert (reading.locked, reading.hidden, reading.task) == (
        ("hidden", "layers"),
        ("optimizer",),
        "Go",
    )
    assert (reading.fixed("hidden"), reading.fixed("layers")) == (40, TUTORIAL.layers)
    odd = read_link({"lock": ["hidden,nonsense,batch-size"], "task": ["a\nb  " + "x" * 400]})
    assert odd.locked == ("hidden", "batch_size")
    assert odd.task.startswith("a b x") and len(odd.task) == MAX_TASK_CHARS  # one line, capped
    assert odd.ignored == [
        "lock: 1 unknown setting",
        f"task: longer than {MAX_TASK_CHARS} characters, cut there",
    ]
