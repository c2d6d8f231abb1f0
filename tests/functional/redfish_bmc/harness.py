"""A multi-process anvil serving the redfish hardware type, and helpers for its tests.

``[redfish]`` timeouts are short (1 s connect, 2 s read, no retries) so the
failure tests finish quickly, and far below the deployment's 10 s RPC
timeout, so every BMC failure must come back as the driver's own error.
"""

import json

from tests.functional import services
from tests.functional.deployment import Deployment, error_text, wait_for

CONNECT_TIMEOUT, READ_TIMEOUT = 1, 2
#: the longest a failing BMC call may take, end to end, in these tests
BOUND = CONNECT_TIMEOUT + READ_TIMEOUT + 2
SECTIONS = {
    'DEFAULT': {'enabled_hardware_types': 'fake-hardware,redfish'},
    'redfish': {'connect_timeout': CONNECT_TIMEOUT, 'read_timeout': READ_TIMEOUT,
                'server_side_retries': 1, 'server_side_retries_delay': 0.2},
}


def start_deployment(workdir, db_url):
    """anvil-api + two conductors serving fake-hardware and redfish."""
    services.require_rabbit()
    dep = Deployment(workdir, db_url, services.RABBIT_URL, extra=SECTIONS)
    try:
        dep.start()
        wait_for(lambda: set(dep.conductor_names) <= set(
            dep.get('/v1/drivers/redfish').json().get('hosts', [])),
            30, what='both conductors serving redfish')
    except Exception:
        print(dep.logs())
        dep.stop()
        raise
    return dep


def create_node(dep, name, driver_info, **fields):
    return dep.create_node(name, driver='redfish', driver_info=driver_info, **fields)


def call(dep, node, method, verb='POST', body=None, **kwargs):
    """A node passthru request (path form); ``body`` None sends no body at all."""
    return dep.request(verb, '/v1/nodes/%s/vendor_passthru/%s' % (node, method), body,
                       **kwargs)


def fault(resp):
    """(status, faultstring) of an error reply."""
    return resp.status_code, error_text(resp)


def history_outcome(dep, node, request_id, timeout=20):
    """The succeeded/failed/refused history event of one async call, once recorded."""
    def outcome():
        for event in dep.history(node):
            if event['request_id'] == request_id and any(
                    word in event['event'] for word in ('succeeded', 'failed', 'refused')):
                return event
        return None
    return wait_for(outcome, timeout, what='outcome of %s in history' % request_id)


def cli_json(completed):
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)
