"""Show the code: the run the sidebar describes as one plain PyTorch script to copy, run and
change (python -m textclf code prints the same)."""

from __future__ import annotations

import streamlit as st

from textclf.app import cache
from textclf.app.cache import OwnData
from textclf.app.source import LIMITS, file_bytes
from textclf.io.export import training_script
from textclf.io.tables import DataProblem
from textclf.io.text import markdown_literal
from textclf.learn.config import TrainConfig, replace


def code_ui(config: TrainConfig, own: OwnData | None) -> None:
    data = None
    if own is not None:
        train_bytes, test_bytes = file_bytes(own)
        try:
            data = cache.own_file_export(own, train_bytes, test_bytes)
        except DataProblem as error:
            st.info(f"No script for this file: {markdown_literal(str(error))}")
            return
        # the page caps a file's vocabulary when "all words" is asked: the script does the same
        config = replace(config, max_features=config.max_features or LIMITS.file_words)
        script = training_script(config, data)
    else:
        script = cache.newsgroups_script(config)
    lines = script.count("\n") + 1
    st.caption(
        f"The settings in the sidebar as one script of {lines} lines: the same data, vocabulary, "
        "initial weights and shuffling, the network as a plain nn.Module, and the tutorial's loop. "
        "It imports torch, scikit-learn and numpy only, and prints the test accuracy last."
        + (
            f" It reads {markdown_literal(own.name)} from the folder it runs in."
            if own is not None
            else ""
        )
    )
    st.download_button(
        "Download the script",
        script,
        file_name="train_textclf.py",
        mime="text/x-python",
        on_click="ignore",
        icon=":material/download:",
    )
    st.code(script, language="python", line_numbers=True)  # with its own copy button
