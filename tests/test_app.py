"""The app's logic through Streamlit's AppTest: widgets set, script rerun, elements read back."""

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def app():
    return AppTest.from_file(APP, default_timeout=180).run()


def chart_data(element) -> pd.DataFrame:
    """The data frame an Altair chart element carries (Arrow IPC bytes in its proto)."""
    return pa.ipc.open_stream(element.proto.datasets[0].data.data).read_pandas()


def accuracy_shown(at) -> float:
    metric = next(m for m in at.metric if m.label == "Test accuracy")
    return float(metric.value.rstrip("%")) / 100


def test_first_load_trains_the_tutorial_network(app):
    assert not app.exception
    run = app.session_state["run"]
    assert run.config.hidden == 100 and run.config.epochs == 10
    assert accuracy_shown(app) == pytest.approx(run.report.accuracy, abs=5e-5)
    assert accuracy_shown(app) > 0.9
    assert len(app.get("vega_lite_chart")) >= 2 + 3  # history, confusion, one per category
    assert app.dataframe[0].value["category"].tolist() == list(run.report.labels)


def test_rerun_without_changes_does_not_retrain(app):
    run = app.session_state["run"]
    app.text_area(key="text").input("a rerun that changes nothing about training").run()
    assert app.session_state["run"] is run


def test_changed_slider_retrains_with_the_new_config(app):
    first = app.session_state["run"]
    app.slider(key="hidden").set_value(40).run()
    assert not app.exception
    run = app.session_state["run"]
    assert run is not first and run.config.hidden == 40
    assert app.session_state["previous"] is first
    delta = next(m for m in app.metric if m.label == "Test accuracy").delta
    assert "since the last run" in delta


def test_manual_mode_waits_for_the_train_button(app):
    first = app.session_state["run"]
    app.toggle(key="auto").set_value(False).run()
    app.slider(key="epochs").set_value(3).run()
    assert app.session_state["run"] is first
    assert any("press Train" in info.value for info in app.info)
    next(b for b in app.button if b.label == "Train").click().run()
    assert app.session_state["run"].config.epochs == 3


def test_tutorial_button_restores_the_defaults(app):
    app.slider(key="layers").set_value(3).run()
    assert app.session_state["run"].config.layers == 3
    app.sidebar.button[0].click().run()
    assert app.session_state["run"].config.layers == 2
    assert app.slider(key="layers").value == 2


def test_baseball_sentence_ranks_baseball_first(app):
    charts_before = len(app.get("vega_lite_chart"))
    app.text_area(key="text").input("The pitcher threw a fastball and the batter hit a home run").run()
    assert not app.exception
    assert len(app.get("vega_lite_chart")) == charts_before + 1  # the probability bars
    bars = chart_data(app.get("vega_lite_chart")[-1])
    assert bars.sort_values("probability").iloc[-1]["category"] == "rec.sport.baseball"
    assert bars["probability"].sum() == pytest.approx(1, abs=1e-5)


def test_random_test_post_fills_the_box_and_names_its_group(app):
    next(b for b in app.button if b.label == "Random test post").click().run()
    text = app.text_area(key="text").value
    assert len(text) > 20
    caption = next(c.value for c in app.caption if "test post’s true group" in c.value)
    assert any(group in caption for group in app.session_state["run"].report.labels)


def test_bad_settings_show_a_warning_not_a_traceback(app):
    app.multiselect(key="categories").set_value(["sci.space"]).run()
    assert not app.exception
    assert any("at least two" in w.value for w in app.warning)
