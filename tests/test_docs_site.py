"""The dbt docs site, in headless Chromium: lineage from the sources to the dashboard.

`dbt docs generate`, then `dbt docs serve` on a free port, as a user would run them.
The browser does what a person does: open a model's page, press "View Lineage Graph",
then "View Fullscreen". The graph is drawn by cytoscape on a canvas, so the nodes a
person sees are read from the page's cytoscape instance (the docs app's ``graph``
service): every visible node, its label and where it is drawn. They are compared with
the manifest's lineage, and the drawing must run left to right from the sources
through silver and gold to the exposure. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from loader.contract import EXTRACTS
from tests.browser import chromium, screenshot
from tests.warehouse_fixture import REPO, Warehouse, built_warehouse

PROJECT = "customer360"
SEGMENTS = f"model.{PROJECT}.customer_segments"
EXPOSURE = f"exposure.{PROJECT}.customer_360_dashboard"
GOLD = ("customer_segments", "peak_times", "average_order_value", "agent_performance",
        "customer_360")  # fmt: skip
# What the docs site draws (dbt-docs' graph service): these resource types, singular
# data tests (no test_metadata) and unit tests; generic data tests are not drawn.
GRAPH_TYPES = {"model", "seed", "source", "snapshot", "analysis", "exposure", "metric",
               "semantic_model", "operation", "saved_query", "function"}  # fmt: skip

VISIBLE_NODES_JS = """() => {
  const cy = angular.element(document.body).injector().get('graph').graph_element;
  return {
    width: cy.width(), height: cy.height(),
    nodes: cy.nodes().filter(n => n.visible()).map(n => {
      const b = n.renderedBoundingBox();
      return {id: n.id(), label: n.data('label'), type: n.data('resource_type'),
              x: (b.x1 + b.x2) / 2, x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2};
    }),
    edges: cy.edges().filter(e => e.visible()).map(e => [e.data('source'), e.data('target')]),
  };
}"""


@dataclass(frozen=True)
class DocsSite:
    url: str
    manifest: dict


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return built_warehouse(tmp_path_factory)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def docs_site(warehouse: Warehouse) -> Iterator[DocsSite]:
    """`dbt docs generate` and `dbt docs serve --port <free> --no-browser`."""
    p = warehouse.dbt("docs", "generate")
    assert p.returncode == 0, f"dbt docs generate failed:\n{p.stdout[-4000:]}"
    manifest = json.loads((warehouse.target / "manifest.json").read_text(encoding="utf-8"))
    port = free_port()
    log = (warehouse.work / "docs-serve.log").open("w")
    server = subprocess.Popen(
        warehouse.dbt_args(
            "docs", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-browser"
        ),  # fmt: skip
        cwd=REPO,
        env=warehouse.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/index.html", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (warehouse.work / "docs-serve.log").read_text()
            assert time.monotonic() < deadline, "dbt docs serve did not answer in 30 s"
            time.sleep(0.2)
        yield DocsSite(url, manifest)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def drawn(manifest: dict, uid: str) -> bool:
    """Whether the docs site draws this node in a lineage graph."""
    if uid in manifest.get("unit_tests", {}):
        return True
    node = (
        manifest["nodes"].get(uid)
        or manifest["sources"].get(uid)
        or manifest["exposures"].get(uid)
        or {}
    )
    kind = node.get("resource_type")
    return kind in GRAPH_TYPES or (kind == "test" and "test_metadata" not in node)


def lineage(manifest: dict, uid: str) -> set[str]:
    """`+uid+`: the node, all its ancestors and all its descendants that are drawn."""
    found = {uid}
    for edges in (manifest["parent_map"], manifest["child_map"]):
        todo = [uid]
        seen: set[str] = set()
        while todo:
            for nxt in edges.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        found |= seen
    return {n for n in found if drawn(manifest, n)}


def open_full_lineage(page, site: DocsSite, kind: str, uid: str) -> dict:
    """Open a node's page, press "View Lineage Graph" then "View Fullscreen", and return
    what the graph shows once the layout has settled."""
    page.goto(f"{site.url}/#!/{kind}/{uid}")
    page.wait_for_function(
        "() => window.angular && angular.element(document.body).injector()"
        ".get('graph').graph_element"
    )
    page.locator("a[title='View Lineage Graph']:visible").click()
    page.wait_for_function(
        "() => angular.element(document.body).injector().get('graph')"
        ".graph_element.nodes().length > 0"
    )
    page.locator("a[title='View Fullscreen']:visible").click()
    page.wait_for_function(
        "() => angular.element(document.body).injector().get('graph').orientation === 'fullscreen'"
    )
    previous = None
    for _ in range(50):  # the layout animates: wait until two reads agree
        page.wait_for_timeout(150)
        state = page.evaluate(VISIBLE_NODES_JS)
        if state == previous:
            break
        previous = state
    page.mouse.move(5, 5)  # no tooltip over the graph
    return previous


def assert_drawn_left_to_right(state: dict) -> None:
    """Every edge points right, and every node is inside the canvas a person sees."""
    x = {n["id"]: n["x"] for n in state["nodes"]}
    for src, dst in state["edges"]:
        assert x[src] < x[dst], f"edge {src} -> {dst} does not run left to right"
    for n in state["nodes"]:
        assert 0 <= n["x1"] and n["x2"] <= state["width"], f"{n['id']} is off the canvas"
        assert 0 <= n["y1"] and n["y2"] <= state["height"], f"{n['id']} is off the canvas"


def test_customer_segments_lineage_runs_from_sources_to_the_dashboard(docs_site: DocsSite):
    with chromium() as browser:
        page, log = browser.page(allow=[docs_site.url], width=1500, height=760, scale=2)
        state = open_full_lineage(page, docs_site, "model", SEGMENTS)
        shot = screenshot(page, "docs-lineage")
        assert log.page_errors == [], log.page_errors

    labels = {n["id"]: n["label"] for n in state["nodes"]}
    # What a person reads on the graph, left to right.
    for label in (
        "retail.online_transactions",
        "retail.loyalty_accounts",
        "retail.customers",
        "retail.products",
        "stg_retail__online_transactions",
        "int_online_transactions__classified",
        "online_transactions",
        "loyalty_accounts",
        "customers",
        "customer_segments",
        "customer_360",
        "Customer 360 dashboard",
    ):
        assert label in labels.values(), f"{label} is not on the lineage graph"
    # Exactly the manifest's lineage of customer_segments, nothing more or less.
    assert set(labels) == lineage(docs_site.manifest, SEGMENTS)
    assert {n["type"] for n in state["nodes"]} >= {"source", "model", "exposure"}
    # Sources never depend on anything, and the dashboard is the end of the line.
    x = {n["id"]: n["x"] for n in state["nodes"]}
    chain = [
        f"source.{PROJECT}.retail.online_transactions",
        f"model.{PROJECT}.stg_retail__online_transactions",
        f"model.{PROJECT}.int_online_transactions__classified",
        f"model.{PROJECT}.online_transactions",
        SEGMENTS,
        f"model.{PROJECT}.customer_360",
        EXPOSURE,
    ]
    assert [x[c] for c in chain] == sorted(x[c] for c in chain)
    assert max(x.values()) - x[EXPOSURE] < 1, "a node is drawn right of the dashboard"
    assert_drawn_left_to_right(state)
    assert shot.stat().st_size > 20_000


def test_the_dashboard_exposure_runs_from_all_nine_sources(docs_site: DocsSite):
    with chromium() as browser:
        page, log = browser.page(allow=[docs_site.url], width=1600, height=1000)
        page.goto(f"{docs_site.url}/#!/exposure/{EXPOSURE}")
        page.wait_for_selector("text=Customer 360 dashboard")
        text = page.locator("body").inner_text()
        # The exposure's page names its owner, its link and the gold relations it uses.
        assert "Customer 360 analytics team" in text
        assert "reports/customer360.html" in page.content()
        state = open_full_lineage(page, docs_site, "exposure", EXPOSURE)
        screenshot(page, "docs-exposure-lineage")
        assert log.page_errors == [], log.page_errors

    ids = {n["id"] for n in state["nodes"]}
    for e in EXTRACTS:
        assert f"source.{PROJECT}.retail.{e.table}" in ids, f"retail.{e.table} is not upstream"
    for g in GOLD:
        assert f"model.{PROJECT}.{g}" in ids
    assert f"model.{PROJECT}.rejected_rows" in ids
    assert ids == lineage(docs_site.manifest, EXPOSURE)
    x = {n["id"]: n["x"] for n in state["nodes"]}
    assert max(x.values()) - x[EXPOSURE] < 1, "a node is drawn right of the dashboard"
    assert_drawn_left_to_right(state)


def test_the_overview_page_explains_the_project(docs_site: DocsSite):
    with chromium() as browser:
        page, log = browser.page(allow=[docs_site.url])
        page.goto(f"{docs_site.url}/#!/overview")
        page.wait_for_selector("text=Customer 360")
        text = page.locator("body").inner_text()
        assert "python -m loader report" in text
        assert "duplicate_superseded" in text
        assert log.page_errors == [], log.page_errors


ENGINES = {"default", "duckdb", "sqlserver", "synapse", "fabric"}


def undescribed(manifest: dict, kind: str) -> list[str]:
    """The project's nodes of a kind (and their columns) with no description. An engine
    variant of a dispatched macro (`sqlserver__type_text`) is described by its
    dispatcher (`type_text`), unless it says more of its own."""
    pools = {
        "source": manifest["sources"],
        "exposure": manifest["exposures"],
        "macro": manifest["macros"],
        "unit_test": manifest.get("unit_tests", {}),
    }
    pool = pools.get(kind, manifest["nodes"])
    described = {
        node["name"]
        for node in pool.values()
        if node.get("package_name") == PROJECT and (node.get("description") or "").strip()
    }
    missing = []
    for uid, node in pool.items():
        if node.get("package_name") != PROJECT or node.get("resource_type") != kind:
            continue
        engine, _, dispatcher = node["name"].partition("__")
        if kind == "macro" and engine in ENGINES and dispatcher in described:
            continue
        if not (node.get("description") or "").strip():
            missing.append(uid)
        for name, column in (node.get("columns") or {}).items():
            if not (column.get("description") or "").strip():
                missing.append(f"{uid}.{name}")
    return missing


@pytest.mark.parametrize("kind", ["source", "model", "seed", "exposure", "macro", "test"])
def test_every_node_and_column_is_described(docs_site: DocsSite, kind: str):
    missing = undescribed(docs_site.manifest, kind)
    assert missing == [], f"{len(missing)} {kind}(s) without a description: {missing[:15]}"


def test_the_shared_definitions_are_doc_blocks(docs_site: DocsSite):
    docs = {d["name"] for d in docs_site.manifest["docs"].values()}
    assert {"segment_rules", "rejection_reasons", "channels", "tier_levels"} <= docs
    sources = {s["name"] for s in docs_site.manifest["sources"].values()}
    assert {e.table for e in EXTRACTS} <= sources
