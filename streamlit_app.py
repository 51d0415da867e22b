"""textclf: train the tutorial's newsgroup classifier live and see what changes."""

import streamlit as st

import ui
from textclf.config import TrainConfig, settings_problems
from textclf.data import DataUnavailable
from textclf.pipeline import training_problems
from textclf.tables import DataProblem
from textclf.text import markdown_literal

st.set_page_config(page_title="textclf · watch a network learn", page_icon="🧠", layout="wide")
st.title("Watch a neural network learn to sort newsgroup posts")
st.caption(
    "A bag-of-words MLP trained with Adam on 20 Newsgroups, in your browser's session. "
    "Move a setting and it retrains; the defaults are the PyTorch tutorial's network."
)

ui.apply_link_once()
own = st.session_state["own"] = ui.own_data_ui()  # None: 20 Newsgroups
settings = ui.settings_ui(newsgroups=own is None)
ui.settle_link(settings)
auto = st.sidebar.toggle("Retrain on every change", value=True, key="auto")
ui.link_notice_ui()
problems = settings_problems(settings)
if problems:
    st.warning("These settings cannot train: " + "; ".join(problems))
    st.stop()
config = TrainConfig(**settings)
try:
    corpus, features = ui.data_for(config, own)
except DataUnavailable as error:
    ui.archive_ui(error)  # offline: asks for the archive, then reruns
except DataProblem as error:
    st.error(f"Your texts cannot be used this way: {markdown_literal(str(error))}")
    st.stop()
for note in corpus.notes:
    st.caption(f"Note: {markdown_literal(note)}.")
problems = training_problems(config, features)
if problems:
    st.warning("These settings cannot train: " + "; ".join(problems))
    st.stop()

run = st.session_state.get("run")
pressed = st.button("Train", type="primary", help="Train a new network with the sidebar's settings")
stale = run is not None and (run.config != config or run.data_source != own)
if pressed or run is None or (auto and stale):
    try:
        new_run = ui.train_ui(config, corpus, features)
    except (MemoryError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and "memory" not in str(error).lower():
            raise  # torch's allocator says "not enough memory" in a RuntimeError
        st.error("This network does not fit in memory here: use fewer hidden units or words.")
        st.stop()
    new_run.data_source = own
    st.session_state["previous"], st.session_state["run"] = run, new_run
    ui.remember(new_run)
    run, stale = new_run, False
elif stale:
    st.info("The settings changed since this network was trained: press Train to see their effect.")
    corpus, features = ui.data_for(run.config, run.data_source)

ui.results_ui(run, st.session_state.get("previous"), corpus)
ui.prediction_ui(run)
ui.learned_ui(run, corpus, features)
ui.history_ui()
ui.forget_unused_files()
