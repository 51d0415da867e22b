"""textclf: train the tutorial's newsgroup classifier live and see what changes.

The page, top to bottom, as a first visit needs it: the settings (sidebar), the network trained
live, how well it does and how it learned, a box to try it, then the deeper tabs. Only the open
tab is drawn: a class opening one link costs the server one page each, not six."""

import streamlit as st

from textclf.app import (
    cache,
    code,
    layout,
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
from textclf.fast.threads import set_threads_for_training
from textclf.io.text import markdown_literal
from textclf.serve.budget import hosted_problems
from textclf.serve.memory import return_large_blocks_at_once

# the process-wide settings, made here and nowhere else in the server: the allocator's (let-go runs
# leave the process) and torch's threads (one beside the C kernels, which train the default Adam;
# an SGD run, sharing a server's cores with the other visitors' runs, gets that one too)
return_large_blocks_at_once()
set_threads_for_training()
st.set_page_config(page_title="textclf · watch a network learn", page_icon="🧠", layout="wide")

layout.phone_first()
# the page's subject is its data: the title follows the sidebar's choice
header = st.container(key=layout.TITLE).empty()
with header.container():
    layout.title("newsgroup posts")
    st.caption(
        "A bag-of-words MLP trained with Adam on 20 Newsgroups, live. Move a setting and it "
        "retrains; the defaults are the PyTorch tutorial's network."
    )

# The sidebar: data and settings, as the link set them.
share.apply_link_once()
own = st.session_state["own"] = source.source_ui()  # None: 20 Newsgroups
if own is not None:
    with header.container():
        layout.title(markdown_literal(own.name))
        st.caption(
            f"A bag-of-words MLP trained with Adam on your texts, the column "
            f"{markdown_literal(own.text_column)} labelled by {markdown_literal(own.label_column)}"
            ". Move a setting and it retrains."
        )
chosen = settings.settings_ui(newsgroups=own is None, exercise=st.session_state["link"])
share.settle_link(chosen)
share.link_notice_ui()
share.task_ui()  # a teacher's exercise: its task, as plain text, above the results
config = settings.checked_config(chosen)
corpus, features = source.vectorised_ui(config, own)
problems = hosted_problems(config, features)
if problems:
    st.warning("These settings cannot train: " + "; ".join(problems))
    st.stop()

# The network, trained live (or shared with every visitor who asked for the same), how well it
# does, and how it learned.
run, corpus, features = training.training_ui(config, own, corpus, features)
baseline = source.baseline_for(run.config, run.data_source)  # ComplementNB, the yardstick
previous = runs.comparable_before(st.session_state["run"])  # on the same test posts
results.headline_ui(run, previous, corpus, features, baseline)
results.how_it_learned_ui(run)

# Try it.
try_it.try_it_ui(run, corpus, baseline)

# The deeper panels, each drawn only while open.
drawn, learning, errors, learnt, session, script = st.tabs(
    ["The network", "Watch it learn", "Where it goes wrong", "What it learned", "Runs", "Code"],
    key="tab",
    on_change="rerun",
    bind="query-params",  # ?tab=Runs opens that tab; the link follows the open tab
)
if drawn.open:
    with drawn:
        network.network_ui(run)
if learning.open:
    with learning:
        st.markdown("#### Replay")
        replay.replay_ui(cache.key_of(run))
        st.markdown("#### One training step")
        step.step_ui(run, corpus, features)
if errors.open:
    with errors:
        results.where_it_goes_wrong_ui(run, corpus, features, baseline)
if learnt.open:
    with learnt:
        learned.learned_ui(run, corpus, features)
if session.open:
    with session:
        runs.runs_ui()
        runs.compare_ui()
if script.open:
    with script:
        code.code_ui(config, own)

source.forget_unused_files()
