"""textclf: train the tutorial's newsgroup classifier live and see what changes."""

import streamlit as st

import ui
from textclf.config import TrainConfig, settings_problems
from textclf.data import DataUnavailable

st.set_page_config(page_title="textclf · watch a network learn", page_icon="🧠", layout="wide")
st.title("Watch a neural network learn to sort newsgroup posts")
st.caption(
    "A bag-of-words MLP trained with Adam on 20 Newsgroups, in your browser's session. "
    "Move a setting and it retrains; the defaults are the PyTorch tutorial's network."
)

ui.apply_link_once()
settings = ui.settings_ui()
ui.rerun_for_link_fallback()
auto = st.sidebar.toggle("Retrain on every change", value=True, key="auto")
ui.link_notice_ui()
problems = settings_problems(settings)
if problems:
    st.warning("These settings cannot train: " + "; ".join(problems))
    st.stop()
config = TrainConfig(**settings)

run = st.session_state.get("run")
pressed = st.button("Train", type="primary", help="Train a new network with the sidebar's settings")
if pressed or run is None or (auto and run.config != config):
    try:
        new_run = ui.train_ui(config)
    except DataUnavailable as error:
        st.error(str(error))
        st.stop()
    except MemoryError:
        st.error("This network does not fit in memory here: use fewer hidden units or words.")
        st.stop()
    st.session_state["previous"], st.session_state["run"] = run, new_run
    ui.remember(new_run)
    run = new_run
elif run.config != config:
    st.info("The settings changed since this network was trained: press Train to see their effect.")

corpus, features = ui.data_for(run.config)  # once per rerun: each cache read is a fresh copy
ui.results_ui(run, st.session_state.get("previous"), corpus)
ui.prediction_ui(run)
ui.learned_ui(run, corpus, features)
ui.history_ui()
