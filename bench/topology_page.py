"""Benchmark: the Topology page's server time and headless Chromium's time to a drawn graph.

Each size runs in its own process, so peak memory belongs to that size alone and the snapshot
is gone before the next one. Per size and view (full graph ``?collapse=none``; the default,
which collapses namespaces above ``AUTO_COLLAPSE_NODES``):

- *scene*: ``TopologyEngine().scene`` cold (fresh engine: projection, layout, elements), warm
  (same state again) and relabelled (another edge label: cached projection and layout);
- *page*: the page-routing callback through Flask's test client (scene plus Dash's layout tree
  and JSON), cold (fresh app) and warm;
- *drawn*: headless Chromium against the app served on 127.0.0.1, from navigation start until
  Cytoscape holds every node and box of the scene and two animation frames have passed; also
  when the page content's response arrived and when the main thread went quiet (Cytoscape keeps
  working after the first frame). Every load starts from about:blank. Cold is the first load of
  that view on a fresh server (the browser's asset cache was warmed on a small view); warm is
  the same link opened again.

Times are medians of ``--runs`` (cold scene and page: fresh engine or app per run; cold drawn:
once per size). The machines are shared and noisy, so nothing is asserted.

    .venv/bin/python bench/topology_page.py --sizes 100 1000 2000 5000 --runs 3
    .venv/bin/python bench/topology_page.py --sizes 2000 --profile   # cProfile of a cold scene
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import json
import logging
import os
import pstats
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from _shared import measure_in_child, test_helper
from dash import Dash

from collectors.model import Snapshot
from dashboard.figures.topology import EdgeLabel
from dashboard.topology.scene import TopologyEngine
from dashboard.topology.state import TopologyState

APP_REQUESTS = test_helper("app_requests")  # the requests the browser sends, as the tests make them

VIEWS: dict[str, tuple[TopologyState, str]] = {
    "full": (TopologyState(collapse=()), "?collapse=none"),
    "default": (TopologyState(), ""),
}
WARMUP: tuple[TopologyState, str] = (TopologyState(namespaces=("bookinfo",)), "?ns=bookinfo")
"""A small view (the demo's bookinfo namespace) that warms the browser's asset cache."""
CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = (
    *("--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
    *("--no-first-run", "--no-default-browser-check", "--disable-extensions"),
    "--window-size=1280,1000",
)
DRAWN_SCRIPT = """
const [expected, done] = arguments;
function report() {
  const content = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('_dash-update-component'))
    .sort((a, b) => b.encodedBodySize - a.encodedBodySize)[0];
  done({drawn: performance.now(), response: content ? content.responseEnd : null});
}
function check() {
  const box = document.getElementById('topology-graph');
  const cy = box && box._cyreg && box._cyreg.cy;
  if (cy && cy.nodes().length === expected) {
    requestAnimationFrame(() => requestAnimationFrame(report));
  } else {
    requestAnimationFrame(check);
  }
}
check();
"""
QUIET_SCRIPT = """
const done = arguments[0];
let last = performance.now(), since = last, streak = 0;
function frame(now) {
  if (now - last > 50) { streak = 0; since = now; } else { streak += 1; }
  last = now;
  if (streak >= 10) {
    done({quiet: since, heap: performance.memory ? performance.memory.usedJSHeapSize : null});
  } else {
    requestAnimationFrame(frame);
  }
}
requestAnimationFrame(frame);
"""
"""Waits until the page's main thread is quiet (10 frames in a row under 50 ms each): after the
graph is drawn, Cytoscape and Dash keep working, and the next navigation would wait for them."""


def seconds(action: Callable[[], object]) -> float:
    """Wall time of one call."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(runs: int, action: Callable[[], object]) -> float:
    """Median wall time of ``runs`` calls."""
    return statistics.median(seconds(action) for _ in range(runs))


def render_page(app: Dash, search: str) -> bytes:
    """Ask the page-routing callback for the Topology page, as the browser does after load."""
    response = app.server.test_client().post(
        "/_dash-update-component", json=APP_REQUESTS.page_request("/topology", search)
    )
    if response.status_code != 200:
        raise RuntimeError(f"page render failed: {response.status_code} {response.data[:300]!r}")
    body: bytes = response.data
    return body


def new_app(snapshot: Snapshot) -> Dash:
    """A fresh app (and so a fresh topology engine with empty caches)."""
    from dashboard.app import create_app
    from dashboard.settings import Settings

    return create_app(Settings(), snapshot)


def measure_server(
    snapshot: Snapshot, state: TopologyState, search: str, runs: int
) -> dict[str, Any]:
    """Scene and page-render timings of one view, plus what it draws."""
    engine = TopologyEngine()
    scene = engine.scene(snapshot, state)
    other = state.with_changes(edge_label=EdgeLabel.ERROR_PCT)
    cold_apps = [new_app(snapshot) for _ in range(runs)]
    for app in cold_apps:  # Dash sets itself up on its first request: keep that out of "cold"
        render_page(app, WARMUP[1])
    page_cold = statistics.median(seconds(partial(render_page, app, search)) for app in cold_apps)
    warm_app = cold_apps[0]
    return {
        "nodes": len(scene.view.nodes),
        "boxes": len(scene.view.boxes),
        "edges": len(scene.view.edges),
        "auto_collapsed": scene.auto_collapsed,
        "elements_mb": len(json.dumps(scene.elements)) / 1e6,
        "scene_cold_s": median_of(runs, lambda: TopologyEngine().scene(snapshot, state)),
        "scene_warm_s": median_of(runs, lambda: engine.scene(snapshot, state)),
        "scene_relabel_s": median_of(runs, lambda: engine.scene(snapshot, other)),
        "page_cold_s": page_cold,
        "page_warm_s": median_of(runs, lambda: render_page(warm_app, search)),
        "page_mb": len(render_page(warm_app, search)) / 1e6,
    }


@contextmanager
def served(app: Dash) -> Iterator[str]:
    """Serve ``app`` on a free local port in a daemon thread; yield its base URL."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium through chromedriver (selenium 3.141 and 4.x)."""
    # selenium 3.141 has no type hints and 4.x has: imported as Any, this file checks with both.
    webdriver = importlib.import_module("selenium.webdriver")
    options = importlib.import_module("selenium.webdriver.chrome.options").Options()
    connection = importlib.import_module("selenium.webdriver.remote.remote_connection")
    # selenium 3.141 beside urllib3 2 needs an explicit timeout (see tests/conftest.py).
    if hasattr(connection.RemoteConnection, "set_timeout"):
        connection.RemoteConnection.set_timeout(600)
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    driver.set_page_load_timeout(600)
    driver.set_script_timeout(600)
    try:
        yield driver
    finally:
        driver.quit()


def drawn(driver: Any, url: str, expected_nodes: int) -> dict[str, float]:
    """Load ``url`` from a blank page; seconds from navigation start to the content's response,
    the drawn graph and a quiet main thread, and the JavaScript heap then."""
    driver.get("about:blank")
    driver.get(url)
    timing = driver.execute_async_script(DRAWN_SCRIPT, expected_nodes)
    quiet = driver.execute_async_script(QUIET_SCRIPT)
    return {
        "response_s": (timing["response"] or 0) / 1000,
        "drawn_s": timing["drawn"] / 1000,
        "quiet_s": quiet["quiet"] / 1000,
        "heap_mb": (quiet["heap"] or 0) / 1e6,
    }


def measure_browser(snapshot: Snapshot, expected: dict[str, int], runs: int) -> dict[str, Any]:
    """Cold and warm loads of each view in headless Chromium against a fresh app."""
    results: dict[str, Any] = {}
    with served(new_app(snapshot)) as base, chromium() as driver:
        drawn(driver, f"{base}/topology{WARMUP[1]}", expected["warmup"])
        for view, (_, search) in VIEWS.items():
            url = f"{base}/topology{search}"
            cold = drawn(driver, url, expected[view])
            warm = [drawn(driver, url, expected[view]) for _ in range(runs)]
            results[view] = {f"{key}_cold": value for key, value in cold.items()}
            results[view].update(
                {f"{key}_warm": statistics.median(w[key] for w in warm) for key in cold}
            )
            results[view]["draw_s_warm"] = statistics.median(
                w["drawn_s"] - w["response_s"] for w in warm
            )
    return results


def measure(workloads: int, runs: int) -> dict[str, Any]:
    """Every measurement for one size."""
    from collectors.sources.demo import demo_snapshot

    started = time.perf_counter()
    snapshot = demo_snapshot(workloads=workloads)
    row: dict[str, Any] = {"workloads": workloads, "snapshot_s": time.perf_counter() - started}
    for view, (state, search) in VIEWS.items():
        row[view] = measure_server(snapshot, state, search, runs)
        gc.collect()
    expected = {view: row[view]["nodes"] + row[view]["boxes"] for view in VIEWS}
    warmup = TopologyEngine().scene(snapshot, WARMUP[0]).view
    expected["warmup"] = len(warmup.nodes) + len(warmup.boxes)
    for view, timings in measure_browser(snapshot, expected, runs).items():
        row[view].update(timings)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def profile(workloads: int) -> None:
    """Print where a cold full-graph scene and a warm page render spend their time."""
    from collectors.sources.demo import demo_snapshot

    snapshot = demo_snapshot(workloads=workloads)
    state, search = VIEWS["full"]
    app = new_app(snapshot)
    for title, action in (
        ("cold scene, full graph", lambda: TopologyEngine().scene(snapshot, state)),
        ("page render after a warm-up, full graph", lambda: render_page(app, search)),
    ):
        if title.startswith("page"):
            render_page(app, search)
        profiler = cProfile.Profile()
        profiler.runcall(action)
        print(f"\n## {workloads} workloads: {title}\n")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


SERVER_COLUMNS = (
    *(("nodes", "nodes", ","), ("boxes", "boxes", ","), ("edges", "edges", ",")),
    *(("auto-collapsed", "auto_collapsed", ""), ("elements MB", "elements_mb", ".2f")),
    *(("scene cold s", "scene_cold_s", ".3f"), ("scene warm s", "scene_warm_s", ".3f")),
    *(("other label s", "scene_relabel_s", ".3f"), ("page cold s", "page_cold_s", ".3f")),
    *(("page warm s", "page_warm_s", ".3f"), ("page MB", "page_mb", ".2f")),
)
BROWSER_COLUMNS = (
    *(("cold: response s", "response_s_cold", ".2f"), ("cold: drawn s", "drawn_s_cold", ".2f")),
    *(("cold: quiet s", "quiet_s_cold", ".2f"), ("warm: response s", "response_s_warm", ".2f")),
    *(("warm: drawn s", "drawn_s_warm", ".2f"), ("warm: quiet s", "quiet_s_warm", ".2f")),
    *(("warm: drawn - response s", "draw_s_warm", ".2f"), ("JS heap MB", "heap_mb_warm", ".0f")),
)


def print_table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str, str], ...]) -> None:
    """One markdown table, a row per size and view; ``columns`` are (header, key, format)."""
    print("\n| workloads | view | " + " | ".join(header for header, _, _ in columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for row in rows:
        for view in VIEWS:
            cells = [format(row[view][key], spec) for _, key, spec in columns]
            print(f"| {row['workloads']:,} | {view} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timings")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        for size in args.sizes:
            profile(size)
        return
    if args.one:
        print(json.dumps(measure(args.one, args.runs)))
        return
    rows = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--runs", str(args.runs)]
        row = measure_in_child(command, size)
        if row is None:
            continue
        rows.append(row)
        full, default = row["full"], row["default"]
        print(
            f"{size:>5} workloads: snapshot {row['snapshot_s']:.1f} s | full {full['nodes']} "
            f"nodes: scene {full['scene_cold_s']:.2f}/{full['scene_warm_s']:.2f} s, page "
            f"{full['page_cold_s']:.2f}/{full['page_warm_s']:.2f} s, drawn "
            f"{full['drawn_s_cold']:.2f}/{full['drawn_s_warm']:.2f} s | default "
            f"{default['nodes']} nodes: drawn {default['drawn_s_cold']:.2f}/"
            f"{default['drawn_s_warm']:.2f} s | peak {row['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    print("\n| workloads | snapshot build s (not counted) | peak RSS MB (server process) |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['workloads']:,} | {r['snapshot_s']:.1f} | {r['peak_rss_mb']:,.0f} |")
    print_table(rows, SERVER_COLUMNS)
    print_table(rows, BROWSER_COLUMNS)


if __name__ == "__main__":
    main()
