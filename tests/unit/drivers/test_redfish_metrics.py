"""The redfish driver's metrics: session-cache lookups, BMC answers and failures."""

import prometheus_client
import requests
import sushy.exceptions

from anvil.drivers.redfish import client_cache
from anvil.drivers.redfish import metrics as redfish_metrics


def value(name, **labels):
    return prometheus_client.REGISTRY.get_sample_value(name, labels) or 0.0


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_cache_lookups_hit_miss_expired():
    clock = Clock()
    cache = client_cache.ClientCache(lambda key: object(), lambda client: None, 10, 60, clock)
    name = 'anvil_redfish_session_cache_lookups_total'
    before = {r: value(name, result=r) for r in ('hit', 'miss', 'expired')}
    cache.get('bmc-a')            # miss: login
    cache.get('bmc-a')            # hit
    cache.get('bmc-a')            # hit
    clock.now = 61
    cache.get('bmc-a')            # expired: login again
    after = {r: value(name, result=r) - before[r] for r in before}
    assert after == {'hit': 2, 'miss': 1, 'expired': 1}


def test_bmc_responses_by_status():
    response = requests.Response()
    response.status_code = 401
    before = value('anvil_redfish_bmc_responses_total', status='401')
    redfish_metrics.response_seen(response)
    assert value('anvil_redfish_bmc_responses_total', status='401') == before + 1


def test_bmc_failures_by_sushy_error_class():
    error = sushy.exceptions.ConnectionError(url='https://bmc', error='refused')
    before = value('anvil_redfish_bmc_failures_total', error='ConnectionError')
    redfish_metrics.failed(error)
    assert value('anvil_redfish_bmc_failures_total', error='ConnectionError') == before + 1
