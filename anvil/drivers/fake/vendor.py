"""The fake vendor interface: Ironic's fake node methods, plus anvil's own.

Names, verbs, sync/async and lock flags of ``second_method``,
``third_method_sync``, ``fourth_method_shared_lock`` and ``log_passthrough``
match Ironic's fake vendor interface so scripts written for it run unchanged.
Every method first notes its run in ``[fake] execution_ledger`` (when set),
then sleeps ``[fake] vendor_delay`` seconds, so tests and benchmarks can hold
a node lock for a known time and count how often each request ran.
"""

import os
import random
import time

from oslo_log import log

from anvil.common import exception, masking
from anvil.common.config import CONF
from anvil.drivers import base

LOG = log.getLogger(__name__)

_BAR = {'type': 'object', 'required': ['bar'], 'additionalProperties': False,
        'properties': {'bar': {'minLength': 1}}}
_NO_ARGS = {'type': 'object', 'additionalProperties': False}
_LOG_LINE = b'anvil fake console line\n'


def vendor_delay():
    """Sleep ``[fake] vendor_delay`` seconds ("x" or "a,b" for a random range).

    Raises InvalidParameterValue when the option is not one or two numbers.
    """
    spec = CONF.fake.vendor_delay.strip()
    try:
        bounds = [float(part) for part in spec.split(',')]
    except ValueError:
        raise exception.InvalidParameterValue(
            err='[fake] vendor_delay must be "x" or "a,b" seconds, not %r' % spec) from None
    delay = bounds[0] if len(bounds) == 1 else random.uniform(bounds[0], bounds[1])
    if delay > 0:
        time.sleep(delay)


def note_run(task_or_context, method):
    """Append "<request id> <method> <node uuid or -> <conductor>" to the ledger.

    One ``write`` on an ``O_APPEND`` descriptor per run: lines from several
    conductor processes sharing the file never interleave.
    """
    path = CONF.fake.execution_ledger
    if not path:
        return
    context = getattr(task_or_context, 'context', task_or_context)
    node = getattr(task_or_context, 'node', None)
    line = '%s %s %s %s\n' % (getattr(context, 'request_id', None) or '-', method,
                              node['uuid'] if node else '-', CONF.host)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_ledger(path):
    """{request id: [(method, node uuid or '-', conductor), ...]} from a ledger file."""
    runs = {}
    try:
        with open(path) as f:
            for line in f:
                request_id, method, node, host = line.split()
                runs.setdefault(request_id, []).append((method, node, host))
    except FileNotFoundError:
        pass
    return runs


class FakeVendor(base.VendorInterface):
    name = 'fake'

    @base.passthru(['POST'], async_call=True, args_schema=_BAR,
                   description='Test if the value of bar is kazoo')
    def second_method(self, task, http_method, bar):
        note_run(task, 'second_method')
        vendor_delay()
        return bar == 'kazoo'

    @base.passthru(['POST'], async_call=False, args_schema=_BAR,
                   description='Test if the value of bar is meow')
    def third_method_sync(self, task, http_method, bar):
        note_run(task, 'third_method_sync')
        vendor_delay()
        return bar == 'meow'

    @base.passthru(['POST'], async_call=True, require_exclusive_lock=False, args_schema=_BAR,
                   description='Test if the value of bar is woof')
    def fourth_method_shared_lock(self, task, http_method, bar):
        note_run(task, 'fourth_method_shared_lock')
        vendor_delay()
        return bar == 'woof'

    @base.passthru(['POST'], async_call=True, description='Test pass-through to wait.')
    def log_passthrough(self, task, http_method, **kwargs):
        note_run(task, 'log_passthrough')
        vendor_delay()
        LOG.info('log_passthrough called on node %s with %s', task.node['uuid'],
                 masking.describe(kwargs, masking.secret_values(kwargs)))

    @base.passthru(['GET', 'POST'], async_call=False, attach=True,
                   require_exclusive_lock=False,
                   args_schema={'type': 'object', 'additionalProperties': False,
                                'properties': {'size': {'type': 'integer', 'minimum': 0,
                                                        'maximum': 1024 * 1024}}},
                   description='Return a fake console log of "size" bytes (default 1024) '
                               'as an attachment.')
    def download_log(self, task, http_method, size=1024):
        note_run(task, 'download_log')
        vendor_delay()
        repeated = _LOG_LINE * (size // len(_LOG_LINE) + 1)
        return repeated[:size]

    @base.driver_passthru(['POST'], async_call=False,
                          description='Return the arguments as given, and the conductor '
                                      'that answered.')
    def driver_echo(self, context, http_method, **kwargs):
        note_run(context, 'driver_echo')
        vendor_delay()
        return {'echo': kwargs, 'conductor': CONF.host}

    @base.driver_passthru(['POST'], async_call=True, args_schema=_NO_ARGS,
                          description='Do nothing, in the background.')
    def driver_noop(self, context, http_method):
        note_run(context, 'driver_noop')
        vendor_delay()


class NoVendor(base.VendorInterface):
    """A vendor interface without methods."""

    name = 'no-vendor'
