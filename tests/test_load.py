"""A classroom at once: 8 browser sessions open 8 different links against one server and train
at the same time, each as heavy as the host's limits allow. Each must show what its settings
give alone, and the server must stay within its memory budget (TEXTCLF_SERVER_MB) however many
runs the sessions keep: trainings wait their turn, and the runs shown least recently give their
weights back. A session the server has no room for is told so in one sentence, and trains when
it tries again after the others. The peak is printed and written to
test-artifacts/load-test.json."""

import json
import os
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.serving import ARTIFACTS, peak_memory_mb, streamlit_server
from tests.test_browser import CHROMIUM, CHROMIUM_FLAGS, accuracy_metric, wait_for_results
from textclf.config import TUTORIAL, replace
from textclf.pipeline import run, training_problems

SESSIONS = 8
SHORT_OF_MEMORY = "This server is short of memory for this network now"
SERVER_MB = 1400  # 8 sessions hold about 800 MB by themselves; the heaviest asks for 276 more

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")


def test_eight_sessions_training_at_once_each_get_their_own_result(corpus, features):
    # the widest networks the default limits allow on these groups: 32 to 63 MB of weights each
    settings = [dict(hidden=280 + 40 * i, epochs=1, seed=i) for i in range(SESSIONS)]
    for s in settings:
        assert not training_problems(replace(TUTORIAL, **s), features)  # allowed, every one
    expected = [run(replace(TUTORIAL, **s), corpus, features).report.accuracy for s in settings]
    assert len({f"{a:.2%}" for a in expected}) > 1  # the sessions' answers can be told apart

    limits = {"TEXTCLF_SERVER_MB": str(SERVER_MB)}
    with streamlit_server("streamlit-load.log", limits) as (url, server), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        idle_mb = peak_memory_mb(server.pid)
        pages = []
        started = time.monotonic()
        for s in settings:  # every session asks before any has answered
            page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
            page.goto(url + "?" + "&".join(f"{k}={v}" for k, v in s.items()), wait_until="commit")
            pages.append(page)
        refused = []
        for i, page in enumerate(pages):  # each its result, or one sentence saying to retry
            result = accuracy_metric(page).or_(page.get_by_text(SHORT_OF_MEMORY))
            expect(result.first).to_be_visible(timeout=240_000)
            if page.get_by_text(SHORT_OF_MEMORY).count():
                refused.append(i)
        for i in refused:  # "try again in a minute": once the others are done, it trains
            pages[i].reload()
        shown = []
        for page in pages:
            wait_for_results(page, timeout=240_000)
            shown.append(accuracy_metric(page).inner_text())
        seconds = time.monotonic() - started
        peak_mb = peak_memory_mb(server.pid)
        pages[-1].screenshot(path=ARTIFACTS / "load-test-last-session.png")
        browser.close()

    assert shown == [f"{a:.2%}" for a in expected]
    assert peak_mb <= SERVER_MB
    report = {
        "sessions": SESSIONS,
        "settings": settings,
        "server_budget_mb": SERVER_MB,
        "seconds_to_all_results": round(seconds, 2),
        "server_peak_mb_before_any_session": round(idle_mb),
        "server_peak_mb": round(peak_mb),
        "sessions_told_to_retry": len(refused),
        "accuracies": shown,
    }
    (ARTIFACTS / "load-test.json").write_text(json.dumps(report, indent=2))
    print(f"\nload test: {report}")
