"""The floor: what this machine does for the pieces of a passthru call, built naively.

Processes (each started by bench/run.py with ``python -m bench.floor <role>``):

- ``ping``: a bare Flask ``GET /ping`` under gunicorn with anvil-api's settings
  (``anvil.cmd.api.gunicorn_options`` read from the same config file);
- ``server``: a bare oslo.messaging RPC server (threading executor, library
  defaults) whose one endpoint does one reserve/release pair on PostgreSQL: a
  conditional ``UPDATE nodes SET reservation`` and the ``UPDATE`` releasing it,
  each in its own transaction, through oslo.db's enginefacade as OpenStack
  services use it (its engines ``pool_pre_ping`` every checkout);
- ``composed``: the composed floor the issue defines, on the same URL as anvil's
  sync passthru: Flask under the same gunicorn, one node ``SELECT`` (the whole
  row, by name, through the enginefacade), one oslo.messaging ``call`` to
  ``server``, the reply as JSON;
- ``rpc-load`` and ``db-load``: client loops (threads in one process) timing a
  bare ``call`` to ``server`` and one reserve/release pair, printing JSON.

Nothing here uses anvil's code paths except gunicorn's options and the table
definitions, so the floor is what the libraries give out of the box.
"""

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from anvil.common import startup  # noqa: E402  (threading backend first, as anvil's scripts do)

NODE_NAME = 'bench-%05d'


class _Ctx:
    """A bare context object for the enginefacade."""


def _facade(url):
    from oslo_db.sqlalchemy import enginefacade
    facade = enginefacade.transaction_context()
    facade.configure(connection=url)
    return facade


def _transport(transport_url):
    """A transport with oslo.messaging's defaults (it reads some options from cfg.CONF)."""
    import oslo_messaging
    from oslo_config import cfg
    if cfg.CONF._namespace is None:  # not parsed yet (the server and the load loops)
        cfg.CONF([], project='anvil-bench-floor')
    return oslo_messaging.get_rpc_transport(cfg.CONF, url=transport_url)


def _nodes_table():
    from anvil.db import models
    return models.Node.__table__


# -- the bare RPC server ------------------------------------------------------


class ReserveRelease:
    """The bare server's endpoint: one reserve/release pair, nothing else."""

    def __init__(self, facade, host):
        self.facade = facade
        self.host = host
        self.nodes = _nodes_table()

    def reserve_release(self, ctxt, node_id):
        import sqlalchemy as sa
        nodes = self.nodes
        with self.facade.writer.using(_Ctx()) as session:
            taken = session.execute(
                sa.update(nodes).where(nodes.c.id == node_id, nodes.c.reservation.is_(None))
                .values(reservation=self.host)).rowcount
        if taken != 1:
            return False
        with self.facade.writer.using(_Ctx()) as session:
            session.execute(sa.update(nodes).where(nodes.c.id == node_id,
                                                   nodes.c.reservation == self.host)
                            .values(reservation=None))
        return True


def serve_rpc(args):
    import oslo_messaging
    target = oslo_messaging.Target(topic=args.topic, server=args.host, version='1.0')
    server = oslo_messaging.get_rpc_server(_transport(args.transport), target,
                                           [ReserveRelease(_facade(args.db), args.host)])
    server.start()
    print('floor server %s on %s' % (args.host, args.topic), flush=True)
    threading.Event().wait()


# -- Flask apps under gunicorn --------------------------------------------------


def ping_app():
    import flask
    app = flask.Flask('floor-ping')

    @app.route('/ping')
    def ping():
        return 'pong'

    return app


def composed_app(db_url, transport_url, topic, server):
    """Flask, one node SELECT, one ``call`` to the bare server, the reply as JSON."""
    import flask
    import oslo_messaging
    import sqlalchemy as sa

    app = flask.Flask('floor-composed')
    nodes = _nodes_table()
    state = {'pid': None}
    lock = threading.Lock()

    def client():
        if state['pid'] != os.getpid():  # after gunicorn's fork, once per worker
            with lock:
                if state['pid'] != os.getpid():
                    state['facade'] = _facade(db_url)
                    state['client'] = oslo_messaging.get_rpc_client(
                        _transport(transport_url),
                        oslo_messaging.Target(topic=topic, version='1.0'))
                    state['pid'] = os.getpid()
        return state

    @app.route('/v1/nodes/<name>/vendor_passthru/<method>', methods=['POST'])
    def call(name, method):
        s = client()
        flask.request.get_json()
        with s['facade'].reader.using(_Ctx()) as session:
            node = session.execute(sa.select(nodes).where(nodes.c.name == name)).first()
        if node is None:
            flask.abort(404)
        result = s['client'].prepare(server=server, timeout=30).call(
            {}, 'reserve_release', node_id=node.id)
        return flask.jsonify(result)

    return app


def serve_http(app_factory, config_file, port):
    from gunicorn.app import base as gunicorn_base

    from anvil.cmd import api as anvil_api
    startup.parse_args(['--config-file', config_file], prog='anvil-bench-floor')
    options = dict(anvil_api.gunicorn_options(), bind='127.0.0.1:%d' % port,
                   proc_name='anvil-bench-floor')

    class App(gunicorn_base.BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app_factory()

    App().run()


# -- client loops ---------------------------------------------------------------


def _percentiles(samples):
    samples = sorted(samples)
    if not samples:
        return {}
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1e6  # noqa: E731
    return {'p50': pick(0.5), 'p90': pick(0.9), 'p99': pick(0.99), 'max': samples[-1] * 1e6}


def _load(make_op, concurrency, duration, warmup=1.0):
    """Run ``op = make_op(i)`` in ``concurrency`` threads; JSON-able rate and latencies."""
    samples = [[] for _ in range(concurrency)]
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration

    def worker(i):
        op = make_op(i)
        n = 0
        while True:
            t0 = time.monotonic()
            if t0 >= stop_at:
                return
            op(n)
            n += 1
            if t0 >= start_at:
                samples[i].append(time.monotonic() - t0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [s for per in samples for s in per]
    return {'requests': len(flat), 'rps': len(flat) / duration,
            'latency_us': _percentiles(flat)}


def rpc_load(args):
    import oslo_messaging
    client = oslo_messaging.get_rpc_client(_transport(args.transport),
                                           oslo_messaging.Target(topic=args.topic,
                                                                 version='1.0'))
    ids = _node_ids(args.db, args.nodes)

    def make_op(i):
        cctxt = client.prepare(server=args.host, timeout=30)
        mine = ids[i::args.concurrency] or ids

        def op(n):
            cctxt.call({}, 'reserve_release', node_id=mine[n % len(mine)])
        return op

    client.prepare(server=args.host, timeout=30).call({}, 'reserve_release', node_id=ids[0])
    print(json.dumps(_load(make_op, args.concurrency, args.duration)), flush=True)


def db_load(args):
    endpoint = ReserveRelease(_facade(args.db), 'floor-db-load')
    ids = _node_ids(args.db, args.nodes)

    def make_op(i):
        mine = ids[i::args.concurrency] or ids
        return lambda n: endpoint.reserve_release({}, mine[n % len(mine)])

    print(json.dumps(_load(make_op, args.concurrency, args.duration)), flush=True)


def _node_ids(db_url, count):
    import sqlalchemy as sa
    nodes = _nodes_table()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(nodes.c.id).where(
                nodes.c.name.in_([NODE_NAME % i for i in range(count)]))
                .order_by(nodes.c.name)).all()
    finally:
        engine.dispose()
    return [r.id for r in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='role', required=True)
    for role in ('ping', 'composed', 'server', 'rpc-load', 'db-load'):
        p = sub.add_parser(role)
        p.add_argument('--config-file')
        p.add_argument('--port', type=int)
        p.add_argument('--db')
        p.add_argument('--transport')
        p.add_argument('--topic')
        p.add_argument('--host', default='floor-server')
        p.add_argument('--nodes', type=int, default=100)
        p.add_argument('--concurrency', type=int, default=1)
        p.add_argument('--duration', type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.role == 'ping':
        serve_http(ping_app, args.config_file, args.port)
    elif args.role == 'composed':
        serve_http(lambda: composed_app(args.db, args.transport, args.topic, args.host),
                   args.config_file, args.port)
    elif args.role == 'server':
        serve_rpc(args)
    elif args.role == 'rpc-load':
        rpc_load(args)
    else:
        db_load(args)


if __name__ == '__main__':
    main()
