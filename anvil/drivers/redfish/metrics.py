"""Prometheus metrics of the redfish driver: BMC answers, failures, the session cache.

Labels are bounded: HTTP status codes, sushy's error class names, and the
three cache results.
"""

import prometheus_client

from anvil.common import metrics

BMC_RESPONSES = prometheus_client.Counter(
    'anvil_redfish_bmc_responses', 'HTTP answers from BMCs (every request sushy sent, '
    'retries and logins included), by status code.', ['status'])
BMC_FAILURES = prometheus_client.Counter(
    'anvil_redfish_bmc_failures', 'Vendor method calls whose BMC requests failed, by '
    'sushy error class (ConnectionError: the BMC did not answer).', ['error'])
SESSION_CACHE = prometheus_client.Counter(
    'anvil_redfish_session_cache_lookups', 'Lookups in the BMC client cache: "hit" (a '
    'logged-in client reused), "miss" (none: login), "expired" (too old: login again).',
    ['result'])


def response_seen(response):
    """sushy's ``response_callback``: one HTTP answer of a BMC."""
    if metrics.enabled():
        metrics.child(BMC_RESPONSES, str(response.status_code)).inc()


def failed(error):
    if metrics.enabled():
        metrics.child(BMC_FAILURES, type(error).__name__).inc()


def cache_lookup(result):
    if metrics.enabled():
        metrics.child(SESSION_CACHE, result).inc()
