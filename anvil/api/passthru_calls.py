"""Async passthru calls, followed from their 202 (an anvil extension to Ironic's API).

``GET /v1/passthru_calls/<request id>``: the 202 of every async vendor call
(node or driver) carries the request id (``X-OpenStack-Request-Id``) and a
``Location`` header naming this URL. The request id is the key because the
client already holds it and the node's history and every log line carry it;
the collection sits at the top level because driver calls have no node, and
nothing under ``/v1/nodes/<n>/vendor_passthru/`` can be added without
shadowing a vendor method of that name. Ironic has no such path, so clients
that do not look never meet it.

Who may read a call: ``baremetal:passthru_call:get``; a project-scoped
caller also needs to see the call's node (``baremetal:node:get``). A call
the caller may not see answers 404 to a project-scoped caller, as an unknown
one does; a system-scoped caller the rule refuses gets 403.
"""

import json

import flask
from oslo_log import log

from anvil.api import links, policy
from anvil.api.responses import accepted, json_response
from anvil.common import exception
from anvil.db import passthru_calls

LOG = log.getLogger(__name__)
bp = flask.Blueprint('passthru_calls', __name__)

RULE = 'baremetal:passthru_call:get'
_TIMES = ('accepted_at', 'started_at', 'finished_at')


def location(request_id):
    return '%s/v1/passthru_calls/%s' % (links.base_url(), request_id)


def send_tracked(send, driver, method, node=None, conductor=None):
    """Record the call queued, ``send()`` its cast, answer 202 with ``Location``.

    The record is written first, so the conductor always finds it; if the
    cast cannot be sent (503: nothing ran) the record is dropped and the
    error raised, as the client gets no 202 to follow.
    """
    context = flask.g.context
    passthru_calls.accept(
        context.request_id, node_id=node['id'] if node else None, driver=driver,
        method=method, http_method=flask.request.method, conductor=conductor,
        user_id=context.user_id, project_id=context.project_id)
    try:
        send()
    except BaseException:
        try:
            passthru_calls.forget(context.request_id)
        except Exception:  # the send's error is the one the client must get
            LOG.exception('Could not drop the record of unsent call %s',
                          context.request_id)
        raise
    response = accepted()
    response.headers['Location'] = location(context.request_id)
    return response


def _not_found(request_id):
    return exception.NotFound(message='Passthru call %s could not be found.' % request_id)


def _authorize(call, request_id):
    """404 for a call the caller may not see; 403 when seen but the rule refuses."""
    context = flask.g.context
    node = None
    if call['node_id'] is not None:
        node = {'owner': call['node_owner'], 'lessee': call['node_lessee']}
    if context.project_id and (node is None
                               or not policy.allowed('baremetal:node:get', context, node)):
        raise _not_found(request_id)
    policy.authorize(RULE, context, node)


def _time(value):
    return value.isoformat() + '+00:00' if value is not None else None


def _view(call):
    out = {k: call[k] for k in ('request_id', 'state', 'node_uuid', 'driver', 'method',
                                'http_method', 'conductor', 'error')}
    out.update({k: _time(call[k]) for k in _TIMES})
    out['result'] = json.loads(call['result']) if call['result'] is not None else None
    out['result_truncated'] = bool(call['result_truncated'])
    # self only: Ironic's bookmark form (no /v1) would name a path that does not exist
    out['links'] = [{'href': location(call['request_id']), 'rel': 'self'}]
    return out


@bp.route('/v1/passthru_calls/<request_id>', methods=['GET'])
def show_call(request_id):
    """One call's state. A call still queued past its expiry is marked expired first."""
    call = passthru_calls.get(request_id)
    if call is None:
        if not flask.g.context.project_id:  # a project learns nothing from 403 vs 404
            policy.authorize(RULE, flask.g.context)
        raise _not_found(request_id)
    _authorize(call, request_id)
    if call['state'] == passthru_calls.QUEUED and \
            call['accepted_at'] < passthru_calls.expiry_cutoff():
        passthru_calls.expire_overdue(passthru_calls.expiry_cutoff(), request_id)
        call = passthru_calls.get(request_id)
    return json_response(_view(call))
