"""textclf: train the tutorial's newsgroup classifier live and see what changes.

The page, top to bottom, as a first visit needs it: the settings (sidebar), the network trained
live, how well it does, a box to try it, then the deeper tabs."""

import streamlit as st

from textclf.app import (
    code,
    learned,
    network,
    replay,
    results,
    runs,
    settings,
    share,
    source,
    step,
    training,
    try_it,
)
from textclf.pipeline import training_problems

st.set_page_config(page_title="textclf · watch a network learn", page_icon="🧠", layout="wide")
st.title("Watch a neural network learn to sort newsgroup posts")
st.caption(
    "A bag-of-words MLP trained with Adam on 20 Newsgroups, in your browser's session. "
    "Move a setting and it retrains; the defaults are the PyTorch tutorial's network."
)

# The sidebar: data and settings, as the link set them.
share.apply_link_once()
own = st.session_state["own"] = source.source_ui()  # None: 20 Newsgroups
chosen = settings.settings_ui(newsgroups=own is None)
share.settle_link(chosen)
share.link_notice_ui()
config = settings.checked_config(chosen)
corpus, features = source.vectorised_ui(config, own)
problems = training_problems(config, features)
if problems:
    st.warning("These settings cannot train: " + "; ".join(problems))
    st.stop()

# The network, trained live, and how well it does.
run, corpus, features = training.training_ui(config, own, corpus, features)
with training.drawing(run):  # no other visitor's training may release it meanwhile
    baseline = source.baseline_for(run.config, run.data_source)  # ComplementNB, the yardstick
    results.headline_ui(run, st.session_state.get("previous"), corpus, baseline)

    # Try it.
    try_it.try_it_ui(run)

    # The deeper panels.
    drawn, learning, errors, learnt, session, script = st.tabs(
        ["The network", "How it learned", "Where it goes wrong", "What it learned", "Runs", "Code"]
    )
    with drawn:
        network.network_ui(run)
    with learning:
        results.how_it_learned_ui(run)
        st.markdown("#### Watch it learn")
        replay.replay_ui(run)
        st.markdown("#### One training step")
        step.step_ui(run, corpus, features)
    with errors:
        results.where_it_goes_wrong_ui(run, corpus, baseline)
    with learnt:
        learned.learned_ui(run, corpus, features)
    with session:
        runs.runs_ui()
        runs.compare_ui()
    with script:
        code.code_ui(config, own)

source.forget_unused_files()
