"""What a stranger can make one server spend, measured: the recipes of issue #24 item 4.

    SCIKIT_LEARN_DATA=/abs/path/to/scikit_learn_data .venv/bin/python bench/strangers.py \
        [--code DIR]

Against one `streamlit run` server (pinned to core 0 where `taskset` exists), in Chromium:
1. a 10 MB upload of 677,000 two-word rows in 100 labels;
2. four such uploads, one after another, each tab closed before the next;
3. 20,000 characters of distinct words in Try it, in three tabs at once;
then a later visitor opens the default link. Prints, after each recipe, the server's resident
and peak memory and what the page said, and whether the later visitor got its accuracy; writes
bench/results/strangers-<folder>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from classroom import CHROMIUM, FLAGS, WATCH, _state, start_server  # noqa: E402

from tests.serving import peak_memory_mb  # noqa: E402


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def big_file(folder: Path) -> Path:
    """677,000 rows of two words each in 100 labels: under 10 MB."""
    path = folder / "many-rows.csv"
    draw = random.Random(0)
    words = [f"{i:x}" for i in range(4096)]
    with path.open("w") as f:
        f.write("text,label\n")
        for i in range(677_000):
            f.write(f"{draw.choice(words)} {draw.choice(words)},l{i % 100}\n")
    return path


def known_words() -> list[str]:
    """Words the tutorial's network knows, so that every one of them is explained."""
    sys.path.insert(0, str(ROOT))
    from textclf.learn.config import TUTORIAL
    from textclf.learn.pipeline import load_and_vectorise

    _, features = load_and_vectorise(TUTORIAL)
    return sorted(w for w in features.vectorizer.vocabulary_ if w.isalpha())


def alerts(page) -> list[str]:
    return [e.inner_text()[:160] for e in page.get_by_test_id("stAlert").all()]


def upload(browser, url: str, path: Path) -> list[str]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.get_by_test_id("stSidebar").get_by_text("Your own file", exact=True).click()
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(path)
    deadline = time.monotonic() + 180
    said = []
    while time.monotonic() < deadline and not said:
        time.sleep(1)
        said = [a for a in alerts(page) if "Upload a file" not in a]
        if page.get_by_text("Test accuracy").count():
            said = ["trained"]
    page.close()
    return said


def long_texts(browser, url: str, tabs: int) -> list[str]:
    draw = random.Random(1)
    vocabulary = known_words()
    pages = []
    for _ in range(tabs):
        text = " ".join(draw.sample(vocabulary, 4000))[:20_000]  # distinct, all known
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(WATCH)
        page.goto(url)
        pages.append((page, text))
    for page, _ in pages:
        while _state(page).get("accuracy") is None:
            time.sleep(0.5)
    for page, text in pages:  # all three asked before any answers
        box = page.get_by_label("Text to classify")
        box.fill(text)
        box.press("Control+Enter")
    time.sleep(20)
    said = [a for page, _ in pages for a in alerts(page)]
    for page, _ in pages:
        page.close()
    return said


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", default=str(ROOT))
    args = parser.parse_args()
    code = Path(args.code).resolve()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = big_file(out)
    url, server = start_server(code, out / f"strangers-{code.name}.log")
    steps = []

    def note(name, said):
        steps.append({"recipe": name, "said": said, "resident_mb": round(resident_mb(server.pid)),
                      "peak_mb": round(peak_memory_mb(server.pid))})  # fmt: skip
        print(steps[-1], flush=True)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            note("a 10 MB file of 677,000 rows", upload(browser, url, path))
            for i in range(4):
                note(f"the same file again ({i + 1} of 4)", upload(browser, url, path))
            note("20,000 characters of distinct words, three tabs", long_texts(browser, url, 3))
            later = browser.new_page()
            later.add_init_script(WATCH)
            later.goto(url + "?hidden=200")
            deadline = time.monotonic() + 120
            while _state(later).get("accuracy") is None and time.monotonic() < deadline:
                time.sleep(0.5)
            note(
                "a later visitor's ?hidden=200",
                ["trained"] if _state(later).get("accuracy") else alerts(later),
            )
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        path.unlink()
    (out / f"strangers-{code.name}.json").write_text(json.dumps(steps, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
