"""deploy/grafana/shopwright-dashboard.json and deploy/prometheus/alerts.yml load,
are well formed, and use only metrics that /metrics exposes (promtool is not
available; no PromQL parser is on PyPI, so metric names are read with the
tokenizer below)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
#: series Prometheus itself makes for every target
BUILT_IN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
#: words of PromQL that are not metric names
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan", "le"}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not
    functions (followed by ``(``), keywords, label names in ``by (...)``
    groupings or matchers, strings, durations or Grafana variables."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges ([5m], [$__rate_interval])
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word, rest = match.group(), expr[match.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS or expr[match.start() - 1:match.start()] == "$":
            continue
        if re.match(r"\d", expr[max(0, match.start() - 1):match.start()] or "x"):
            continue  # the exponent of 1e-9
        names.add(word)
    return names


def test_the_tokenizer_finds_metric_names():
    assert metric_names('sum by (route, le) (rate(a_total{status=~"5.."}[5m])) / clamp_min(sum(rate(b[1m])), 1e-9) '
                        '> 0.1 and on (job) up') == {"a_total", "b", "up"}
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))") == {"x_bucket"}


@pytest.fixture(scope="module")
def exposed() -> set[str]:
    """Every series name the engine's metrics can expose."""
    from engine.metrics import Metrics

    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    names = set()
    for family in text_string_to_metric_families(Metrics().render().decode()):
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names | BUILT_IN


async def test_the_metrics_page_of_a_running_shop_has_every_family(make_app, exposed):
    app = await make_app()
    page = (await (await app.test_client().get("/metrics")).get_data()).decode()
    served = {family.name for family in text_string_to_metric_families(page)}
    assert {name.removesuffix("_total").removesuffix("_bucket") for name in exposed - BUILT_IN
            if not name.endswith(("_sum", "_count"))} <= served


def test_the_grafana_dashboard_loads_and_uses_real_metrics(exposed):
    dashboard = json.loads((DEPLOY / "grafana" / "shopwright-dashboard.json").read_text())
    assert dashboard["title"] and dashboard["uid"] and isinstance(dashboard["schemaVersion"], int)
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels), "panel ids are unique"
    rows = [panel["title"] for panel in panels if panel["type"] == "row"]
    assert {"HTTP", "Plugins", "Checkout and payments", "Jobs and outbox", "Caches"} <= set(rows)
    used = set()
    for panel in (panel for panel in panels if panel["type"] != "row"):
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), panel["title"]
            found = metric_names(target["expr"])
            assert found, (panel["title"], target["expr"])
            used |= found
    assert used <= exposed, f"not exposed: {sorted(used - exposed)}"
    shown = {name.split("_bucket")[0].removesuffix("_total").removesuffix("_sum") for name in used}
    for family in ("shopwright_hook_duration_seconds", "shopwright_hook_failures", "shopwright_checkouts",
                   "shopwright_payment_gateway_calls", "shopwright_queue_depth", "shopwright_outbox_lag_seconds",
                   "shopwright_cache_lookups", "shopwright_http_request_duration_seconds"):
        assert family in shown, f"the dashboard has no panel on {family}"


def test_the_alert_rules_load_and_use_real_metrics(exposed):
    rules_file = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert set(rules_file) == {"groups"}
    groups = rules_file["groups"]
    assert len({group["name"] for group in groups}) == len(groups)
    alerts = {}
    for group in groups:
        assert set(group) <= {"name", "interval", "rules"} and group["rules"], group["name"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, rule
            assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]) and rule["alert"] not in alerts
            assert isinstance(rule["expr"], str) and rule["expr"].count("(") == rule["expr"].count(")")
            assert "for" not in rule or DURATION.match(rule["for"]), rule["for"]
            assert rule["labels"]["severity"] in ("page", "warn")
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            names = metric_names(rule["expr"])
            assert names and names <= exposed, (rule["alert"], sorted(names - exposed))
            alerts[rule["alert"]] = names
    wanted = {"ShopwrightOutboxLag": "shopwright_outbox_lag_seconds", "ShopwrightJobsFailing": "shopwright_jobs_total",
              "ShopwrightPaymentFailureRate": "shopwright_payment_gateway_calls_total",
              "ShopwrightHigh5xxRate": "shopwright_http_requests_total"}
    for alert, metric in wanted.items():
        assert metric in alerts[alert], alert
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert "alerts.yml" in config["rule_files"], "the example Prometheus loads the rules"
