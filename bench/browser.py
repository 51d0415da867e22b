"""The app's latency as a person sees it, in Debian's Chromium driven by Playwright.

    SCIKIT_LEARN_DATA=/abs/path/to/scikit_learn_data .venv/bin/python bench/browser.py [--code DIR]

Starts `streamlit run streamlit_app.py` on localhost (the data cache warmed by one page load
first), then measures in the page itself (performance.now(), a frame at a time):
- first load: opening the app in a new tab until the first run's test accuracy shows (the
  headline a first visit reads: the page's first result);
- Train: a new seed entered (3 categories, tutorial settings otherwise), which trains a new run
  at once, until the new run's test accuracy has replaced the old one (its progress bar gone,
  the figure no longer marked stale), and until the whole page has finished running.
--code DIR: the server runs another checkout (the code before a change). Prints medians and
writes bench/results/browser-<the checkout's folder name>.json. Needs requirements-dev.txt.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.serving import streamlit_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

# Runs in the page; times in ms from `since` (0: the navigation's start). The result is the
# headline's "Test accuracy" metric. A first load may find its run trained already (a server's
# store of runs): with since 0 a result counts without a progress bar before it; after a change,
# only once a training's progress bar has come and gone.
WATCH = """
(since) => {
  const s = window.__bench = {t0: since, progress: null, trained: null, result: null, done: null};
  const now = () => performance.now() - s.t0;
  const resultShown = () => {
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find(m => m.innerText.includes('Test accuracy'));
    const box = metric && metric.closest('[data-testid="stElementContainer"]');
    return !!box && box.getAttribute('data-stale') !== 'true';
  };
  const running = () => !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
  const frame = () => {
    const progress = !!document.querySelector('[data-testid="stProgress"]');
    if (progress && s.progress === null) s.progress = now();
    if (!progress && s.progress !== null && s.trained === null) s.trained = now();
    const first = s.t0 === 0 && s.progress === null;
    if ((s.trained !== null || first) && s.result === null && resultShown()) s.result = now();
    if (s.result !== null && !running() && !document.querySelector('[data-stale="true"]')) {
      s.done = now();
      return;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
"""


def _wait(page, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate("() => window.__bench")
        if state and state["done"] is not None:
            return {k: None if v is None else v / 1000 for k, v in state.items() if k != "t0"}
        time.sleep(0.05)
    raise TimeoutError("the page did not finish")


def _training_loop(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Training loop")
    return metric.get_by_test_id("stMetricValue").inner_text()


def _open(browser, url: str):
    """A new tab on the app, watched from the navigation's start; returns (page, its timings)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.add_init_script(f"({WATCH})(0)")
    page.goto(url)
    return page, _wait(page)


def first_load(browser, url: str) -> dict:
    """A new tab opening the app, timed from the navigation's start."""
    page, state = _open(browser, url)
    state["training loop"] = _training_loop(page)
    page.close()
    return state


def train_presses(browser, url: str, presses: int) -> list[dict]:
    """A new seed entered again and again on one page, each a new run trained at once (the same
    settings again would be found in the server's store of runs, trained once)."""
    page, _ = _open(browser, url)
    seed = page.get_by_label("Seed")
    states = []
    for i in range(presses):
        time.sleep(0.5)
        page.evaluate(f"({WATCH})(performance.now())")
        seed.fill(str(100 + i))
        seed.press("Enter")
        state = _wait(page)
        state["training loop"] = _training_loop(page)
        states.append(state)
    page.close()
    return states


def main() -> int:
    # the code before runs with what its own requirements installed, if it has a .venv
    own = (Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else ROOT) / ".venv"
    python = str(own / "bin" / "python") if (own / "bin" / "python").exists() else sys.executable
    code = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else ROOT
    with (
        streamlit_server("bench-browser.log", cwd=code, python=python) as (url, _),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        first_load(browser, url)  # warms the data cache and builds the kernels, as a hosted app is
        loads = [first_load(browser, url) for _ in range(3)]
        presses = train_presses(browser, url, 9)
        browser.close()
    result = {
        "first_load_to_result_s": statistics.median(s["result"] for s in loads),
        "train_to_result_s": statistics.median(s["result"] for s in presses),
        "train_to_page_done_s": statistics.median(s["done"] for s in presses),
        "loads": loads,
        "presses": presses,
    }
    print(
        f"first load -> test accuracy: {result['first_load_to_result_s']:.2f} s (median of 3)\n"
        f"Train -> new test accuracy: {result['train_to_result_s']:.2f} s, whole page done "
        f"{result['train_to_page_done_s']:.2f} s (median of 9; training loops "
        + ", ".join(s["training loop"] for s in presses)
        + ")"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"browser-{code.name}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
