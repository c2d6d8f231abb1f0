"""The conductor's side of an async call's record (``GET /v1/passthru_calls/<id>``).

``CallRecord`` claims the call before it runs and records its outcome, with
the result or error masked (``anvil.common.masking``) and cut to
``[conductor] passthru_call_result_size`` characters. Writing the record must
never take an outcome down with it: a failed write is logged, not raised
(the node's history, written too, stays the account of last resort).
"""

import json

from oslo_log import log

from anvil.common import masking
from anvil.common.config import CONF
from anvil.db import passthru_calls

LOG = log.getLogger(__name__)

#: ``finish`` without a result (None is a result).
NO_RESULT = object()


def _mask_strings(value, secrets):
    """``value`` with free-text secrets masked in every string, at any depth.

    String by string, so the JSON stays valid (masking the JSON text as a
    whole lets oslo.utils' patterns eat quotes and keys).
    """
    if isinstance(value, str):
        return masking.mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _mask_strings(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_strings(v, secrets) for v in value]
    return value


def result_json(value, secrets=()):
    """(JSON text of the masked ``value``, truncated?) within the configured size.

    Secrets are masked by key and, in strings, by pattern and by value. Bytes
    (an attachment) are described by their length, other values JSON cannot
    hold by their masked ``repr``. A result too long is kept as a JSON string
    of its first characters.
    """
    if isinstance(value, (bytes, bytearray)):
        value = '<%d bytes>' % len(value)
    text = json.dumps(_mask_strings(masking.mask(value), secrets),
                      default=lambda other: masking.mask_text(repr(other), secrets))
    limit = CONF.conductor.passthru_call_result_size
    if len(text) <= limit:
        return text, False
    return json.dumps(text[:limit]), True


def error_text(error, secrets=()):
    """The masked message of ``error``, cut to the configured size."""
    return masking.mask_text(error, secrets)[:CONF.conductor.passthru_call_result_size]


class CallRecord:
    """The record of the async call a conductor is handling (keyed by the request id)."""

    def __init__(self, host, context, method, http_method, driver, node_id=None):
        self.host = host
        self.request_id = getattr(context, 'request_id', None)
        self.defaults = {'node_id': node_id, 'driver': driver or '', 'method': method,
                         'http_method': http_method,
                         'user_id': getattr(context, 'user_id', None),
                         'project_id': getattr(context, 'project_id', None)}

    def claim(self):
        """True when this conductor may run the call (it moved it to ``running``).

        False for a call already running or finished elsewhere: a redelivered
        cast, or one marked expired first. If the record cannot be written
        the call runs (as it did before calls had records).
        """
        if not self.request_id:
            return True
        try:
            return passthru_calls.claim(self.request_id, self.host, self.defaults)
        except Exception:
            LOG.exception('Could not mark call %s running', self.request_id)
            return True

    def _values(self, error, result, secrets):
        values = {}
        if result is not NO_RESULT:
            values['result'], values['result_truncated'] = result_json(result, secrets)
        if error is not None:
            values['error'] = error_text(error, secrets)
        return values

    def starter(self):
        """A function of a connection for the transaction that takes the node and writes
        "started": it raises CallSettled, rolling them back, when the call is no
        longer running here (``passthru_calls.confirm_start``); None without a
        request id."""
        if not self.request_id:
            return None
        return lambda conn: passthru_calls.confirm_start(conn, self.request_id, self.host)

    def finisher(self, state, error=None, result=NO_RESULT, secrets=()):
        """``finish`` as a function of a connection, for the transaction that releases the
        node lock and writes the history event: the three agree or none is written.

        It returns False when the call already had its outcome (the sweep
        settled it while this conductor was frozen): then the history event
        is not written either, the sweep's is the node's one. Masking and
        size capping happen here, before the transaction.
        """
        if not self.request_id:
            return None
        values = self._values(error, result, secrets)

        def finish_in(conn):
            if passthru_calls.finish_in(conn, self.request_id, state, self.host,
                                        self.defaults, **values):
                return True
            LOG.warning('Call %s already had its outcome; %s not recorded',
                        self.request_id, state)
            return False
        return finish_in

    def finish(self, state, error=None, result=NO_RESULT, secrets=()):
        """Record the outcome ``state`` with ``error`` (an exception or text) or ``result``.

        False when the call already had an outcome (kept: e.g. the expiry
        sweep recorded it, and wrote its node's history event too); True
        otherwise, a failed write included.
        """
        if not self.request_id:
            return True
        values = self._values(error, result, secrets)
        try:
            if not passthru_calls.finish(self.request_id, state, self.host, self.defaults,
                                         **values):
                LOG.warning('Call %s already had its outcome; %s not recorded',
                            self.request_id, state)
                return False
        except Exception:
            LOG.exception('Could not record %s of call %s', state, self.request_id)
        return True
