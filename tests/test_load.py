"""A class on one server, in Chromium: the server trains one run at a time here
(TEXTCLF_CONCURRENT_RUNS=1), so its queue shows on any machine. Two tabs ask for long runs: the
second is told where it stands in line. Two students then open the default link: both get the
tutorial's network, the same one, long before the long runs end (a short run overtakes long
ones). The long runs' tabs close: their training stops within seconds, mid-epoch, instead of
running on for nobody."""

import os
import re
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.serving import ARTIFACTS, cpu_seconds, streamlit_server
from tests.test_browser import CHROMIUM, CHROMIUM_FLAGS, accuracy_metric, wait_for_results

LONG = "hidden=500&epochs=40&batch-size=1"  # minutes here, an epoch of tens of seconds

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


def test_a_class_queues_long_runs_shares_short_ones_and_stops_work_for_nobody(tutorial_run):
    with (
        streamlit_server("streamlit-class.log", {"TEXTCLF_CONCURRENT_RUNS": "1"}) as (url, server),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tabs = {}
        for name, query in (("long", f"?{LONG}&seed=1"), ("longer", f"?{LONG}&seed=2")):
            tabs[name] = browser.new_context(viewport={"width": 1280, "height": 800})
            page = tabs[name].new_page()
            page.goto(url + query)
            progress = page.get_by_test_id("stMain").get_by_test_id("stProgress")
            text = "Epoch|Training" if name == "long" else "in line"
            expect(progress.filter(has_text=re.compile(text))).to_be_visible(timeout=120_000)
            tabs[name + " page"] = page
        waiting = tabs["longer page"].get_by_test_id("stMain").get_by_test_id("stProgress")
        line = waiting.inner_text()
        assert re.search(r"yours is 1st in line, about \d+ (s|minutes)", line), line

        students = [browser.new_page(viewport={"width": 1280, "height": 800}) for _ in range(2)]
        started = time.monotonic()
        for page in students:
            page.goto(url)
        for page in students:
            wait_for_results(page, timeout=60_000)
        seconds = time.monotonic() - started
        shown = [accuracy_metric(page).inner_text() for page in students]
        assert (
            shown == [f"{tutorial_run.report.accuracy:.2%}"] * 2
        )  # the same network, the tutorial's
        assert accuracy_metric(tabs["long page"]).count() == 0  # overtaken: still training
        students[0].screenshot(path=ARTIFACTS / "class-student.png")
        tabs["longer page"].screenshot(path=ARTIFACTS / "class-in-line.png")

        for name in ("long", "longer"):
            tabs[name].close()  # mid-epoch: an epoch of these runs takes tens of seconds
        time.sleep(5)  # a grace of 2 s for a page that reruns, then the next step stops it
        before = cpu_seconds(server.pid)
        time.sleep(3)
        idle = cpu_seconds(server.pid) - before
        browser.close()
    print(f"\nclass: both students' result after {seconds:.1f} s; server CPU {idle:.2f} s in 3 s")
    assert idle < 0.6, "the closed tabs' runs trained on for nobody"
