"""Prometheus plumbing shared by every process: the switch, the scrape, gunicorn's workers.

prometheus_client decides how it stores values when it is first imported:
in the process's memory, or -- when ``PROMETHEUS_MULTIPROC_DIR`` is set --
in mmap'd files that every gunicorn worker of anvil-api writes and any of
them reads back for a scrape (multiprocess mode). ``prepare_multiprocess``
therefore runs in anvil-api's master before anything imports
prometheus_client, and the workers inherit the variable. Conductors and the
all-in-one are one process each and keep values in memory.

Exemplars (a request id on a latency bucket) exist only in the OpenMetrics
exposition, which a scraper asks for with ``Accept:
application/openmetrics-text`` (Prometheus does when exemplar storage is
on), and only where values live in memory: prometheus_client drops them in
multiprocess mode (its mmap'd files hold numbers alone). So anvil-conductor
and the all-in-one show them; anvil-api under gunicorn shows none, and
``exemplar()`` then returns None, sparing the check of its labels.

Metric definitions live with what they measure (``anvil.api.metrics``,
``anvil.conductor.metrics``, ``anvil.drivers.redfish.metrics``); their
recording functions ask ``enabled()`` first, so ``[metrics] enabled =
false`` costs one attribute read per hook.
"""

import fcntl
import glob
import os
import shutil
import sys
import tempfile

ENV = 'PROMETHEUS_MULTIPROC_DIR'
_LOCK_NAME = '.anvil-api.lock'


class DirectoryInUse(RuntimeError):
    """Another live anvil-api uses the multiprocess directory."""


class _Held:
    lock_file = None   # kept open (and locked) for the life of the process


class _Switch:
    on = True


#: (metric, label values) -> its child: ``labels()`` checks and locks on every call,
#: a dict read does not. Bounded as the label values are (see each metric's module).
_CHILDREN = {}


def configure(conf):
    """Follow ``[metrics] enabled`` (read once: hooks run on every call).

    Also drops the ``*_created`` series, which would double the series of
    every counter and histogram for a timestamp no dashboard reads.
    """
    import prometheus_client
    prometheus_client.disable_created_metrics()
    _Switch.on = bool(conf.metrics.enabled)


def enabled():
    return _Switch.on


def child(metric, *label_values):
    """``metric.labels(*label_values)``, looked up once per label set.

    The hooks run on every request: prometheus_client's ``labels`` validates
    the values and takes the metric's lock each time, about a third of what
    a hook costs. Children are never removed from anvil's metrics, so a kept
    one stays the metric's own; a race on the first use makes the same child
    twice (``labels`` returns the existing one). Raises what ``labels``
    raises (a wrong number of values).
    """
    key = (metric, label_values)
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = metric.labels(*label_values)
    return found


def prepare_multiprocess(directory=None):
    """Point prometheus_client at ``directory`` (emptied) for gunicorn's workers.

    Without ``directory`` a temporary one is made. Returns (directory,
    remove_at_exit): True when anvil made it and must remove it.
    Raises RuntimeError when prometheus_client was imported already (its
    values would stay in one process's memory, invisible to the scrape),
    DirectoryInUse when another anvil-api holds the directory: emptying it
    would wipe that one's numbers, and each scrape would add up both.
    """
    if 'prometheus_client' in sys.modules:
        raise RuntimeError('prometheus_client was imported before its multiprocess '
                           'directory was set')
    made = directory is None
    if made:
        directory = tempfile.mkdtemp(prefix='anvil-api-metrics-')
    os.makedirs(directory, exist_ok=True)
    lock_file = open(os.path.join(directory, _LOCK_NAME), 'a')
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.close()
        raise DirectoryInUse('%s is the metrics directory of another running anvil-api; '
                             'give each its own ([metrics] multiproc_dir)' % directory) from None
    _Held.lock_file = lock_file
    for stale in glob.glob(os.path.join(directory, '*.db')):
        os.unlink(stale)  # samples of an earlier run: their counters would add up
    os.environ[ENV] = directory
    return directory, made


def worker_exited(pid):
    """gunicorn ``child_exit``: drop the live gauges of a dead worker (its counters stay)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(pid)


def remove_directory(directory):
    """Remove a multiprocess directory anvil made (anvil-api exiting)."""
    shutil.rmtree(directory, ignore_errors=True)


def exemplar(request_id):
    """The exemplar labels of an observation for ``request_id``; None when none is kept.

    None without a request id, and in multiprocess mode (anvil-api's
    workers), where prometheus_client keeps no exemplars.
    """
    if not request_id or os.environ.get(ENV):
        return None
    return {'request_id': request_id}


def exposition(accept=None):
    """(body, content type) of a scrape of this process (or of all gunicorn workers).

    ``accept``: the scraper's Accept header; OpenMetrics (with exemplars)
    when it asks for it, Prometheus' text format otherwise.
    """
    import prometheus_client
    from prometheus_client import exposition as prometheus_exposition
    from prometheus_client import multiprocess
    if os.environ.get(ENV):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    encoder, content_type = prometheus_exposition.choose_encoder(accept or '')
    return encoder(registry), content_type


def wsgi_metrics(environ, start_response):
    """A bare WSGI app answering one scrape (the conductor's metrics port)."""
    body, content_type = exposition(environ.get('HTTP_ACCEPT'))
    start_response('200 OK', [('Content-Type', content_type),
                              ('Content-Length', str(len(body)))])
    return [body]
