"""The sample alert rules, dashboard and docs name only metrics anvil records."""

import json
import os
import re

import prometheus_client
import yaml

import anvil.api.metrics  # noqa: F401  (registers the API's metrics)
import anvil.conductor.metrics  # noqa: F401
import anvil.drivers.redfish.metrics  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALERTS = os.path.join(ROOT, 'etc', 'prometheus', 'anvil-alerts.yaml')
DASHBOARD = os.path.join(ROOT, 'etc', 'grafana', 'anvil-dashboard.json')
DOC = os.path.join(ROOT, 'docs', 'observability.md')
_NAME = re.compile(r'\banvil_(?:api|conductor|redfish)_[a-z_]+')


_SUFFIXES = {'counter': ('_total',), 'histogram': ('_bucket', '_sum', '_count'),
             'gauge': ('',)}


def recorded_series():
    """Every sample name anvil's metrics can produce (with _total, _bucket, ...)."""
    return {family.name + suffix for family in prometheus_client.REGISTRY.collect()
            if family.name.startswith('anvil_') for suffix in _SUFFIXES[family.type]}


def _expressions():
    with open(ALERTS) as f:
        rules = yaml.safe_load(f)
    exprs = [r['expr'] for group in rules['groups'] for r in group['rules']]
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    exprs += [t['expr'] for panel in dashboard['panels'] for t in panel['targets']]
    return exprs


def test_alert_rules_are_well_formed():
    with open(ALERTS) as f:
        rules = yaml.safe_load(f)
    for group in rules['groups']:
        for rule in group['rules']:
            assert set(rule) <= {'alert', 'expr', 'for', 'labels', 'annotations'}, rule
            assert rule['labels']['severity'] in ('critical', 'warning', 'info')
            assert rule['annotations']['summary']


def test_every_metric_named_in_rules_and_dashboard_exists():
    known = recorded_series()
    used = {name for expr in _expressions() for name in _NAME.findall(expr)}
    assert used, 'no anvil metric found in the rules and the dashboard'
    assert sorted(used - known) == []


def test_the_doc_lists_every_metric():
    with open(DOC) as f:
        doc = f.read()
    families = {m.name for m in prometheus_client.REGISTRY.collect()
                if m.name.startswith('anvil_')}
    missing = sorted(n for n in families
                     if n not in doc and n + '_total' not in doc)
    assert missing == []
