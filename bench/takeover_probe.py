"""What bench/takeover.py and bench/chaos_soak.py share: who owns which node, and who answered.

A takeover is measured from the fault until a sync call sent after it is
first answered 200 by a survivor. Which conductor ran a call is read from
the fake driver's execution ledger (``[fake] execution_ledger``), which a
long soak makes large: ``LedgerTail`` reads only what was appended since
its last look.
"""

import os

from tests.functional import call_load
from tests.functional.deployment import wait_for


def deployment_options(workdir, api_threads=32):
    """(Deployment ``extra``, ledger path): lease, call-monitor and cache options at
    their defaults, the fake driver's ledger in ``workdir``.

    More API threads than the default 8: a call to a frozen conductor holds one
    for call_monitor_timeout, and load and probes must not run out of them.
    """
    ledger = os.path.join(workdir, 'ledger.txt')
    extra = dict(call_load.DEFAULTS, fake={'execution_ledger': ledger})
    extra['api'] = dict(extra['api'], api_threads=api_threads)
    return extra, ledger


def list_nodes(d, fields):
    """Every node (``fields`` only), following the API's ``next`` links page by page."""
    nodes, path = [], '/v1/nodes?fields=%s&limit=1000' % fields
    while path:
        resp = d.get(path)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        nodes += body['nodes']
        path = body.get('next', '').replace(d.url, '', 1) or None
    return nodes


def owners(d, uuids):
    """{node uuid: conductor the API routes it to} for the nodes in ``uuids``."""
    wanted = set(uuids)
    return {n['uuid']: n['conductor'] for n in list_nodes(d, 'uuid,conductor')
            if n['uuid'] in wanted}


class LedgerTail:
    """The execution ledger as {request id: [(method, node, conductor), ...]}, read
    incrementally (complete lines only: a conductor may be writing the last one)."""

    def __init__(self, path):
        self.path = path
        self._offset = 0
        self.runs = {}

    def read(self):
        try:
            with open(self.path, 'rb') as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return self.runs
        complete = chunk[:chunk.rfind(b'\n') + 1]
        self._offset += len(complete)
        for line in complete.decode().splitlines():
            request_id, method, node, host = line.split()
            self.runs.setdefault(request_id, []).append((method, node, host))
        return self.runs


def wait_survivor_answer(load, hurt, survivors, ledger, timeout=60):
    """The first sync call of ``load`` sent after ``hurt`` and answered 200 by one
    of ``survivors`` (a ``call_load.Call``).

    :raises AssertionError: none within ``timeout`` seconds.
    """
    return wait_for(lambda: call_load.first_success_after(
        load.sync_calls(), hurt, survivors, ledger.read()), timeout, interval=0.05,
        what='a survivor answers')
