"""A class opening one link at once: N Chromium sessions against one `streamlit run` server.

    SCIKIT_LEARN_DATA=/abs/path/to/scikit_learn_data .venv/bin/python bench/classroom.py \
        --students 30 [--link 'seed={i}'] [--heavy 2] [--code ../before] [--out name]

The server runs pinned to one core where `taskset` exists, the browser on the others. Each
student opens the link ({i}: the student's number, from 0) within a few seconds of the others,
waits for the first test accuracy, then asks Try it one question and waits for its answer.
--heavy N: N tabs open the heaviest link the default limits allow, and start training, before
the students come. --code DIR: the server runs another checkout (the code before a change),
measured by this same script in the same sitting, with its own .venv if it has one.

Per student: seconds from opening the page to the first test accuracy and to the Try it answer,
and every notice it showed (alerts and progress texts). For the server: CPU seconds and peak
resident memory, from /proc. Prints a summary line and writes bench/results/classroom-NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving import cpu_seconds, free_port, peak_memory_mb  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--disable-quic",
         "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
         "--disable-backgrounding-occluded-windows"]  # fmt: skip
QUESTION = "The pitcher threw three strikes and the crowd cheered the home run"
# all 20 groups, the widest layers and the longest run under the default limits (300 MB, 120 s):
# with its defaults (--heavy-*), 299 MB and 116 s estimated
HEAVY_LINK = "&".join(f"categories={group}" for group in [
    "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
    "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med",
    "sci.space", "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast",
    "talk.politics.misc", "talk.religion.misc",
]) + "&hidden={hidden}&layers=2&epochs={epochs}&batch-size={batch}&seed={i}"  # fmt: skip

# Runs in each page from its first script: times in ms since the navigation began, and every
# alert or progress text the page showed.
WATCH = """
(() => {
  const s = window.__class = {accuracy: null, answer: null, notices: []};
  const seen = new Set();
  const tick = () => {
    const now = performance.now();
    const shown = '[data-testid="stAlert"], [data-testid="stProgress"]';
    for (const e of document.querySelectorAll(shown)) {
      const text = e.innerText.trim().replace(/\\d+(\\.\\d+)?/g, '#');
      if (text && !seen.has(text)) { seen.add(text); s.notices.push(text.slice(0, 200)); }
    }
    if (s.accuracy === null) {
      const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.innerText.includes('Test accuracy') && /\\d\\.\\d\\d%/.test(m.innerText));
      if (metric) s.accuracy = now;
    }
    if (s.answer === null && s.asked && document.body.innerText.includes('Most likely:')) {
      s.answer = now;
    }
    setTimeout(tick, 50);
  };
  tick();
})()
"""


def _pinned(command: list[str], cores: str) -> list[str]:
    return ["taskset", "-c", cores, *command] if shutil.which("taskset") else command


def _python_of(code: Path) -> str:
    """code's own .venv's Python where it has one (the code before a change runs with what its
    requirements installed), else this one."""
    own = code / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def start_server(code: Path, log: Path) -> tuple[str, subprocess.Popen]:
    """`streamlit run` in code, with code's own .venv where it has one (the code before a change
    runs with what its requirements installed)."""
    port = free_port()
    command = [_python_of(code), "-m", "streamlit", "run", "streamlit_app.py",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    process = subprocess.Popen(
        _pinned(command, "0"),
        cwd=code,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2):
                return url, process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the server did not start: see {log}")


# --nginx: the front a host puts before Streamlit (README, Serving more visitors), which serves
# the frontend's files itself: they are named by their hashes and never change between visitors,
# so nginx sends them from disk while Streamlit, in Python, spends about 0.75 ms on each of the
# ~145 a new browser fetches. Everything else, the websocket included, goes to Streamlit.
NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{front};
        client_max_body_size 50m;
        location /static/ {{
            alias {static}/;
            add_header Cache-Control "public, immutable, max-age=31536000";
        }}
        location / {{
            proxy_pass http://127.0.0.1:{port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def start_nginx(url: str, code: Path, folder: Path) -> tuple[str, subprocess.Popen]:
    """nginx before the server at url, on the server's core; the address visitors open."""
    where = "import os, streamlit; print(os.path.dirname(streamlit.__file__))"
    static = (
        subprocess.run(
            [_python_of(code), "-c", where], capture_output=True, text=True, check=True
        ).stdout.strip()
        + "/static/static"
    )
    folder.mkdir(parents=True, exist_ok=True)
    front = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, front=front, static=static,
                                      port=url.rstrip("/").rsplit(":", 1)[1]))  # fmt: skip
    process = subprocess.Popen(_pinned(["nginx", "-c", str(conf), "-g", "daemon off;"], "0"),
                               start_new_session=True)  # fmt: skip
    address = f"http://127.0.0.1:{front}/"
    for _ in range(100):
        try:
            with urllib.request.urlopen(address + "_stcore/health", timeout=2):
                return address, process
        except OSError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit(f"nginx did not start: see {folder}/error.log")


def group_cpu_seconds(group: int) -> float:
    """CPU seconds of every process in a process group (nginx's master and its worker)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _state(page) -> dict:
    try:
        return page.evaluate("() => window.__class") or {}
    except Exception:  # noqa: BLE001 - a page that crashed counts as never answering
        return {}


def run_class(args) -> dict:
    from playwright.sync_api import sync_playwright

    code = Path(args.code).resolve()
    name = args.out or f"{args.students}{'-heavy' if args.heavy else ''}"
    log = ROOT / "bench" / "results" / f"classroom-{name}.log"
    log.parent.mkdir(exist_ok=True)
    url, server = start_server(code, log)
    front = None

    def front_cpu() -> float:
        return group_cpu_seconds(front.pid) if front else 0.0

    def server_cpu() -> float:  # Streamlit, and nginx when it is in front
        return cpu_seconds(server.pid) + front_cpu()

    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, os.sched_getaffinity(0) - {0})  # the browser: the other cores
    try:
        if args.nginx:
            if not shutil.which("nginx"):
                raise SystemExit("--nginx needs nginx (Debian: apt-get install nginx-light)")
            url, front = start_nginx(url, code, log.parent / f"nginx-{name}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            if args.warm:  # a server that has served before: its data is loaded
                warm = browser.new_page()
                warm.add_init_script(WATCH)
                warm.goto(url)
                while _state(warm).get("accuracy") is None:
                    time.sleep(0.2)
                warm.close()
                time.sleep(1)
            # what the server costs doing nothing (Streamlit polls its config files, uvicorn
            # ticks): part of every class's CPU in proportion to its length, not to its visitors
            idle0 = server_cpu()
            time.sleep(args.idle)
            idle_ms_per_s = (server_cpu() - idle0) * 1000 / max(args.idle, 1e-9)
            profiler = None
            if args.profile:  # where the server's time goes, as collapsed stacks
                profiler = subprocess.Popen(["py-spy", "record", "--pid", str(server.pid),
                                             "--format", "raw", "--output", args.profile,
                                             "--nonblocking", "--gil"])  # fmt: skip
            cpu0, front0, started = server_cpu(), front_cpu(), time.monotonic()
            heavy = []
            for i in range(args.heavy):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.add_init_script(WATCH)
                link = HEAVY_LINK.format(i=i, hidden=args.heavy_hidden, epochs=args.heavy_epochs,
                                         batch=args.heavy_batch)  # fmt: skip
                page.goto(url + "?" + link, wait_until="commit")
                heavy.append(page)
            if heavy:
                time.sleep(args.heavy_head_start)
            pages = []
            for i in range(args.students):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.add_init_script(WATCH)
                query = args.link.format(i=i)
                page.goto(url + ("?" + query if query else ""), wait_until="commit")
                pages.append(page)
                time.sleep(args.spread / max(args.students, 1))
            asked = {}  # student -> when the question was sent
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                states = [_state(p) for p in pages]
                for i, (page, state) in enumerate(zip(pages, states, strict=True)):
                    waited = time.monotonic() - asked.get(i, -1e9)
                    if state.get("accuracy") is None or state.get("answer") or waited < 120:
                        continue  # no result yet, answered, or asked under two minutes ago
                    try:  # a busy browser may drop a keystroke: asked again after two minutes
                        box = page.get_by_label("Text to classify")
                        box.fill(QUESTION, timeout=30_000)
                        page.evaluate("() => { window.__class.asked = true; }")
                        box.press("Control+Enter")
                        asked[i] = time.monotonic()
                    except Exception:  # noqa: BLE001 - tried again on the next round
                        pass
                if all(s.get("answer") is not None for s in states):
                    break
                time.sleep(0.5)
            states = [_state(p) for p in pages]
            heavy_seen = [_state(p).get("notices", []) for p in heavy]
            seconds = time.monotonic() - started
            cpu = server_cpu() - cpu0
            nginx_cpu = front_cpu() - front0 if front else None
            peak = peak_memory_mb(server.pid)
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if front is not None:
            os.killpg(front.pid, signal.SIGTERM)
            front.wait(timeout=30)
    students = [
        {
            "first_accuracy_s": None if s.get("accuracy") is None else s["accuracy"] / 1000,
            "answer_s": None if s.get("answer") is None else s["answer"] / 1000,
            "notices": s.get("notices", []),
        }
        for s in states
    ]
    got = [s["first_accuracy_s"] for s in students if s["first_accuracy_s"] is not None]
    answered = [s["answer_s"] for s in students if s["answer_s"] is not None]
    notices = sorted({n for s in students for n in s["notices"]})
    refused = [n for n in notices if "short of memory" in n or "cannot" in n or "limit" in n]
    result = {
        "students": args.students,
        "link": args.link,
        "heavy_tabs": args.heavy,
        "code": str(code),
        "got_result": len(got),
        "answered": len(answered),
        "first_accuracy_s_median": statistics.median(got) if got else None,
        "first_accuracy_s_max": max(got) if got else None,
        "answer_s_median": statistics.median(answered) if answered else None,
        "server_cpu_s": round(cpu, 2),
        "server_idle_ms_per_s": round(idle_ms_per_s, 1),
        "nginx_cpu_s": None if nginx_cpu is None else round(nginx_cpu, 2),
        "server_peak_mb": round(peak),
        "wall_s": round(seconds, 1),
        "notices": notices,
        "refusals": refused,
        "heavy_tabs_saw": heavy_seen,
        "per_student": students,
    }
    (log.parent / f"classroom-{name}.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--link", default="", help="the query each student opens; {i}: number")
    parser.add_argument("--heavy", type=int, default=0, help="tabs training the heaviest link")
    parser.add_argument("--heavy-hidden", type=int, default=170)
    parser.add_argument("--heavy-epochs", type=int, default=10)
    parser.add_argument("--heavy-batch", type=int, default=1)
    parser.add_argument("--heavy-head-start", type=float, default=20.0)
    parser.add_argument("--code", default=str(ROOT), help="the checkout the server runs")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds to open every tab in")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--warm", action="store_true", help="load the data before the class")
    parser.add_argument(
        "--nginx", action="store_true", help="nginx in front serves the static files"
    )
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to measure it idle")
    parser.add_argument("--out", default="", help="name of the results file")
    parser.add_argument("--profile", default="", help="py-spy's collapsed stacks to this file")
    result = run_class(parser.parse_args())
    summary = {k: v for k, v in result.items() if k not in ("per_student",)}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
