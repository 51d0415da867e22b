import dataclasses

import pytest

from textclf.learn.config import (
    TUTORIAL,
    TrainConfig,
    format_setting,
    option_name,
    parse_setting,
    setting_changes,
    settings_problems,
)


def test_defaults_are_the_tutorial_network():
    assert set(TUTORIAL.categories) == {"comp.graphics", "sci.space", "rec.sport.baseball"}
    assert (TUTORIAL.features, TUTORIAL.hidden, TUTORIAL.layers) == ("counts", 100, 2)
    assert (TUTORIAL.lr, TUTORIAL.batch_size, TUTORIAL.epochs, TUTORIAL.seed) == (0.01, 150, 10, 0)
    assert TUTORIAL.remove == () and TUTORIAL.dropout == 0.0 and TUTORIAL.max_features == 0


def test_config_is_frozen_and_orders_lists():
    config = TrainConfig(categories=("sci.space", "comp.graphics"), remove=("quotes", "headers"))
    assert config.categories == ("comp.graphics", "sci.space")
    assert config.remove == ("headers", "quotes")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.hidden = 5


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"categories": ()}, "at least two"),
        ({"categories": ("sci.space",)}, "at least two"),
        ({"categories": ("sci.space", "alt.nonsense")}, "unknown newsgroup alt.nonsense"),
        ({"remove": ("signatures",)}, "remove"),
        ({"features": "bert"}, "features"),
        ({"hidden": 0}, "hidden: 0 is outside"),
        ({"layers": 5}, "layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"lr": 0.0}, "lr"),
        ({"batch_size": 0}, "batch-size"),
        ({"epochs": 0}, "epochs"),
        ({"hidden": 2.5}, "not a whole number"),
        ({"hidden": True}, "not a whole number"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(changes, fragment):
    problems = settings_problems(changes)
    assert any(fragment in problem for problem in problems), problems
    with pytest.raises(ValueError, match=fragment.split(":")[0]):
        TrainConfig(**changes)


def test_settings_round_trip_through_their_text_form():
    for field in dataclasses.fields(TrainConfig):
        value = getattr(TUTORIAL, field.name)
        assert parse_setting(field.name, format_setting(value)) == value


def test_parse_setting_says_what_is_wrong():
    with pytest.raises(ValueError, match="not a whole number"):
        parse_setting("hidden", "lots")
    with pytest.raises(ValueError, match="finite"):
        parse_setting("lr", "nan")
    with pytest.raises(ValueError, match="unknown setting"):
        parse_setting("colour", "red")
    assert option_name("batch_size") == "batch-size"


def test_changes_between_configs_are_named_as_the_command_line_names_them():
    after = TrainConfig(hidden=50, weight_decay=0.001, categories=("sci.space", "rec.autos"))
    assert setting_changes(TUTORIAL, after) == [
        "categories comp.graphics,rec.sport.baseball,sci.space → rec.autos,sci.space",
        "hidden 100 → 50",
        "weight-decay 0.0 → 0.001",
    ]
    assert setting_changes(TUTORIAL, TrainConfig()) == []
