"""The optional C kernels: built once, loaded only for training, and never needed."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.runs import run
from textclf.fast import native
from textclf.inspect.explain import explain
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.predict import predict_text

needs_compiler = pytest.mark.skipif(
    not (shutil.which(os.environ.get("CXX", "c++")) and shutil.which("ninja"))
    or os.environ.get("TEXTCLF_NATIVE") == "0",
    reason="no compiler or ninja here (or TEXTCLF_NATIVE=0): nothing to build",
)


@needs_compiler
def test_sessions_asking_at_once_build_the_kernels_once(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native.forget()
    try:
        with ThreadPoolExecutor(4) as pool:
            loaded = list(pool.map(lambda _: native.library(), range(4)))
        assert loaded[0] is not None and all(k is loaded[0] for k in loaded)
        assert len(list((tmp_path / "torch_extensions").rglob("*.so"))) == 1
    finally:
        native.forget()


@needs_compiler
def test_a_lock_left_by_a_killed_build_does_not_stop_training(tmp_path):
    """cpp_extension waits for a build's lock without end: one left by a killed process is
    forgotten, and the kernels load."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("TORCH_EXTENSIONS_DIR", None)
    load = [sys.executable, "-c", "from textclf.fast import native; print(native.library())"]
    assert "CDLL" in subprocess.run(load, env=env, capture_output=True, text=True).stdout
    (folder,) = (tmp_path / "torch_extensions").iterdir()
    lock = folder / "lock"
    lock.touch()
    done = subprocess.run(load, env=env, capture_output=True, text=True, timeout=120)
    assert "CDLL" in done.stdout, done.stderr[-1000:]


def test_prediction_and_explanation_never_compile(tutorial_run, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native.forget()
    try:
        text = "The pitcher threw a fastball over the plate in the ninth inning."
        assert predict_text(tutorial_run.classifier, text).ranked()[0][0] == "rec.sport.baseball"
        assert explain(tutorial_run.classifier, text) is not None
        assert not (tmp_path / "torch_extensions").exists()
        assert native.build._LOADED[0] is native.build._NOT_YET  # not even looked for
    finally:
        native.forget()


@pytest.mark.slow
def test_everything_trains_without_a_c_compiler(monkeypatch, tmp_path, corpus, features):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no library built earlier
    monkeypatch.setenv("CXX", "false")  # a "compiler" that always fails
    native.forget()
    try:
        assert native.library() is None
        trained = run(replace(TUTORIAL, epochs=3), corpus, features)
        assert trained.backend == "PyTorch (row-wise Adam)"
        assert trained.report.accuracy > 0.9
        monkeypatch.delenv("CXX")
        monkeypatch.setenv("TEXTCLF_NATIVE", "0")
        native.forget()
        assert native.library() is None
    finally:
        native.forget()
