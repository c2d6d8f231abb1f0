"""Test-only controls of the extended emulator, under /_test/ (no auth).

- ``GET /_test/stats``: session and request counters;
- ``POST /_test/faults`` {"path": prefix, "method": "GET", "status": 500,
  "delay": seconds, "times": n}: the next ``times`` matching requests wait
  ``delay`` seconds and/or get a Redfish error with ``status``;
  ``DELETE /_test/faults`` removes them all;
- ``DELETE /_test/sessions``: every session expires (tokens get 401);
- ``GET /_test/subscription_headers``: HttpHeaders as POSTed.
"""

import json
import threading
import time

import werkzeug

from tests.functional.redfish_bmc import event_service, redfish_errors, session_service

_lock = threading.Lock()
_faults = []


def _json(value, status=200):
    return werkzeug.Response(json.dumps(value), status=status,
                             content_type='application/json')


def _take_fault(method, path):
    with _lock:
        for fault in _faults:
            if path.startswith(fault['path']) and fault.get('method', method) == method:
                fault['times'] = fault.get('times', 1) - 1
                if fault['times'] <= 0:
                    _faults.remove(fault)
                return fault
    return None


def _control(env):
    method, path = env['REQUEST_METHOD'], env.get('PATH_INFO', '').rstrip('/')
    if (method, path) == ('GET', '/_test/stats'):
        return _json(session_service.stats())
    if (method, path) == ('DELETE', '/_test/sessions'):
        session_service.expire_all()
        return _json(None)
    if (method, path) == ('GET', '/_test/subscription_headers'):
        return _json(event_service.stored_headers())
    if path == '/_test/faults' and method in ('POST', 'DELETE'):
        with _lock:
            if method == 'DELETE':
                _faults.clear()
            else:
                length = int(env.get('CONTENT_LENGTH') or 0)
                _faults.append(json.loads(env['wsgi.input'].read(length)))
        return _json(None)
    return _json({'error': 'no such test control'}, 404)


class Controls:
    """Outermost WSGI layer: /_test/ controls, then injected faults, then the BMC."""

    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        path = env.get('PATH_INFO', '')
        if path.startswith('/_test/'):
            return _control(env)(env, start_response)
        fault = _take_fault(env['REQUEST_METHOD'], path)
        if fault is not None:
            time.sleep(fault.get('delay', 0))
            if fault.get('status'):
                return redfish_errors.wsgi_error(
                    fault['status'], 'InternalError',
                    fault.get('message', 'Injected fault for %s' % path),
                )(env, start_response)
        return self.app(env, start_response)
