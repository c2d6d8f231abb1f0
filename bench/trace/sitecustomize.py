"""Hop timers for bench/profile.py, loaded into anvil's processes through PYTHONPATH.

Only active when ``ANVIL_BENCH_TRACE_DIR`` is set: wraps the functions of each
hop of a passthru call (API: gunicorn's request handling, the RequestId
middleware, Flask, node lookup, metadata, checks, body, RPC; conductor:
oslo.messaging's processing of a message, the endpoint, node read, reserve,
driver, release, reply) with wall-clock timers, and writes the running totals
{name: [calls, seconds]} of this process to ``<dir>/<pid>.json`` every second.
With ``ANVIL_BENCH_YAPPI=1``, yappi also profiles CPU time per function, in
every thread, from when ``<dir>/yappi-start`` appears until ``<dir>/yappi-stop``
does, then saves ``<dir>/yappi-<pid>.pstat``.
Nothing here changes what the wrapped functions do.
"""

import os

_DIR = os.environ.get('ANVIL_BENCH_TRACE_DIR')
#: also profile CPU time per function with yappi between two marker files
_YAPPI = os.environ.get('ANVIL_BENCH_YAPPI') == '1'


def _install():  # noqa: C901 (one place for every hook)
    import functools
    import json
    import threading
    import time

    import anvil.cmd  # noqa: F401  (threading backend first, as the console scripts do)

    totals = {}
    lock = threading.Lock()

    def add(name, seconds):
        with lock:
            entry = totals.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += seconds

    def timed(name, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                add(name, time.perf_counter() - start)
        return wrapper

    def patch(owner, attr, name, static=False):
        func = timed(name, getattr(owner, attr))
        setattr(owner, attr, staticmethod(func) if static else func)

    def dump():
        path = os.path.join(_DIR, '%d.json' % os.getpid())
        while True:
            time.sleep(1.0)
            with lock:
                data = json.dumps(totals)
            with open(path + '.tmp', 'w') as f:
                f.write(data)
            os.replace(path + '.tmp', path)
            if _YAPPI:
                try:
                    _yappi_control()
                except Exception as e:  # say why, where the bench looks
                    with open(os.path.join(_DIR, 'yappi-error-%d' % os.getpid()), 'a') as f:
                        f.write('%r\n' % e)

    def _yappi_control():
        import yappi
        if os.path.exists(os.path.join(_DIR, 'yappi-start')) and not yappi.is_running():
            yappi.set_clock_type('cpu')
            yappi.start(builtins=False, profile_threads=True)
        stop = os.path.join(_DIR, 'yappi-stop')
        out = os.path.join(_DIR, 'yappi-%d.pstat' % os.getpid())
        if os.path.exists(stop) and yappi.is_running():
            yappi.stop()
            yappi.get_func_stats().save(out, type='pstat')

    started = {'pid': None}

    def ensure_dumper():
        if started['pid'] != os.getpid():  # after gunicorn's / cotyledon's fork
            started['pid'] = os.getpid()
            totals.clear()
            threading.Thread(target=dump, daemon=True).start()

    # -- the API ------------------------------------------------------------
    from gunicorn.workers import gthread

    orig_handle = gthread.ThreadWorker.handle

    def handle(self, conn):
        ensure_dumper()
        start = time.perf_counter()
        try:
            return orig_handle(self, conn)
        finally:
            add('api.total (gunicorn handle: parse, app, write)', time.perf_counter() - start)
    gthread.ThreadWorker.handle = handle

    import flask
    patch(flask.Flask, 'wsgi_app', 'api.flask (app, hooks, view)')
    from anvil.api import app as api_app
    patch(api_app, '_before_request', 'api.before_request (microversion, context)')
    patch(api_app, '_after_request', 'api.after_request (status, version headers)')
    orig_create = api_app.create_app

    def create_app(*args, **kwargs):
        app = orig_create(*args, **kwargs)
        app.wsgi_app = timed('api.middleware+flask (RequestId around Flask)', app.wsgi_app)
        return app
    api_app.create_app = create_app
    from anvil.api import passthru
    patch(passthru, 'find_node', 'api.node lookup (DB)')
    patch(passthru, '_node_methods', 'api.metadata (cached topology)')
    patch(passthru, '_check', 'api.checks (deny, verb, jsonschema)')
    patch(passthru, 'json_object', 'api.request body (read, JSON)')
    patch(passthru, 'passthru_result', 'api.response (JSON)')
    from anvil.conductor import rpcapi
    patch(rpcapi.ConductorAPI, 'vendor_passthru', 'api.rpc (ConductorAPI.vendor_passthru)')
    from oslo_messaging.rpc import client as rpc_client
    patch(rpc_client._BaseCallContext, 'call', 'api.rpc oslo call (send, wait, reply)')

    # -- the conductor --------------------------------------------------------
    from oslo_messaging._drivers import amqpdriver
    from oslo_messaging.rpc import dispatcher, server

    orig_process = server.RPCServer._process_incoming

    def process_incoming(self, incoming):
        ensure_dumper()
        start = time.perf_counter()
        try:
            return orig_process(self, incoming)
        finally:
            add('cond.total (oslo _process_incoming: ack, dispatch, reply)',
                time.perf_counter() - start)
    server.RPCServer._process_incoming = process_incoming
    patch(dispatcher.RPCDispatcher, 'dispatch', 'cond.dispatch (endpoint incl.)')
    patch(amqpdriver.AMQPIncomingMessage, 'reply', 'cond.reply (send)')
    patch(amqpdriver.AMQPIncomingMessage, 'acknowledge', 'cond.ack')
    from anvil.conductor import manager, task_manager
    patch(manager.ConductorManager, 'vendor_passthru', 'cond.endpoint vendor_passthru')
    patch(manager.ConductorManager, '_method', 'cond.method lookup + checks', static=True)
    patch(manager.ConductorManager, 'run_driver', 'cond.driver (run)', static=True)
    patch(task_manager.LockManager, 'reserve', 'cond.reserve (lock queue + DB)')
    patch(task_manager.LockManager, 'release', 'cond.release (DB + wake next)')
    from anvil.db import api as db_api
    patch(db_api, 'get_node_by_id', 'db.get_node_by_id')
    patch(db_api, 'reserve_node', 'db.reserve_node')
    patch(db_api, 'release_node', 'db.release_node')
    from anvil.common import rpc
    patch(rpc.RequestContextSerializer, 'deserialize_context', 'cond.context deserialize')


if _DIR:
    _install()
