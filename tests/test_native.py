"""The optional C kernels: built, cached and loaded only when safe, and never needed."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.runs import run
from textclf.fast import native
from textclf.fast.native.build import _compiler
from textclf.inspect.explain import explain
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.predict import predict_text

ROOT = Path(__file__).resolve().parent.parent
needs_compiler = pytest.mark.skipif(
    _compiler() is None, reason="no C compiler here (or TEXTCLF_NATIVE=0): nothing to build"
)
LOAD = (
    "import sys; from textclf.fast import native; from textclf.fast.native import build;"
    "print(native.library() is not None, build._LOADED[0]._name)"
)


def _load_in_a_process(cache: Path) -> tuple[bool, Path]:
    """Loads the kernels in a fresh process with this cache: (loaded, the library's path)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]  # SIGBUS would be -7
    loaded, path = done.stdout.split()
    return loaded == "True", Path(path)


@needs_compiler
def test_a_cut_short_or_altered_library_in_the_cache_is_rebuilt(tmp_path):
    loaded, library = _load_in_a_process(tmp_path)
    assert loaded and library.parent == tmp_path / "textclf"
    good = library.read_bytes()
    library.write_bytes(good[: len(good) // 3])  # a crash mid-write: SIGBUS on loading, once
    assert _load_in_a_process(tmp_path) == (True, library)
    assert library.read_bytes() == good
    altered = bytearray(good)
    altered[len(good) // 2] ^= 0xFF  # same size, one byte changed
    library.write_bytes(bytes(altered))
    assert _load_in_a_process(tmp_path) == (True, library)
    assert library.read_bytes() == good


@needs_compiler
def test_a_cache_others_can_write_is_not_trusted(tmp_path):
    loaded, library = _load_in_a_process(tmp_path)
    folder = library.parent
    folder.chmod(0o777)  # anyone could have put a library there
    loaded, elsewhere = _load_in_a_process(tmp_path)
    assert loaded and elsewhere.parent != folder
    assert not elsewhere.parent.exists()  # the private folder went with its process
    folder.chmod(0o700)
    library.chmod(0o666)  # the file itself writable by anyone
    loaded, rebuilt = _load_in_a_process(tmp_path)
    assert loaded and rebuilt == library and library.stat().st_mode & 0o022 == 0
    if os.getuid() == 0:  # as root, a file of another user's can be made: it is not loaded
        os.chown(library, 65534, 65534)
        loaded, rebuilt = _load_in_a_process(tmp_path)
        assert loaded and library.stat().st_uid == os.getuid()


@needs_compiler
def test_sessions_asking_at_once_build_the_kernels_once(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native.forget()
    try:
        with ThreadPoolExecutor(4) as pool:
            loaded = list(pool.map(lambda _: native.library(), range(4)))
        assert loaded[0] is not None and all(k is loaded[0] for k in loaded)
        names = sorted(p.suffix for p in (tmp_path / "textclf").iterdir())
        assert names == [".sha256", ".so"]  # no leftovers
    finally:
        native.forget()


def test_prediction_and_explanation_never_compile(tutorial_run, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native.forget()
    try:
        text = "The pitcher threw a fastball over the plate in the ninth inning."
        assert predict_text(tutorial_run.classifier, text).ranked()[0][0] == "rec.sport.baseball"
        assert explain(tutorial_run.classifier, text) is not None
        assert not (tmp_path / "textclf").exists() or not any((tmp_path / "textclf").iterdir())
        assert native.build._LOADED[0] is native.build._NOT_YET  # not even looked for
    finally:
        native.forget()


@pytest.mark.slow
def test_everything_trains_without_a_c_compiler(monkeypatch, tmp_path, corpus, features):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no library built earlier
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "gcc" else name)
    native.forget()
    try:
        assert native.library() is None
        trained = run(replace(TUTORIAL, epochs=3), corpus, features)
        assert trained.backend == "PyTorch (row-wise Adam)"
        assert trained.report.accuracy > 0.9
        monkeypatch.setenv("CC", "cc")
        monkeypatch.setenv("TEXTCLF_NATIVE", "0")
        native.forget()
        assert native.library() is None
    finally:
        native.forget()
