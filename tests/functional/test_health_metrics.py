"""/healthcheck and /metrics of real processes: each failure reported, exact counts scraped.

A multi-process deployment (anvil-api with two gunicorn workers, one
anvil-conductor with its [conductor] metrics_port) on RabbitMQ and
PostgreSQL; an extra anvil-api reaches both through TCP relays the test
owns, so the database and the bus can be cut for it alone, or turned into
black holes (connections accepted, never answered): /healthcheck must then
answer 503 within its checks' timeouts, not hang. The all-in-one is checked
too.
"""

import os

import pytest
import requests
from prometheus_client import parser

from tests.functional import services
from tests.functional.all_in_one import running_all_in_one
from tests.functional.deployment import StatusPortsDeployment, running_deployment, wait_for
from tests.functional.tcp_proxy import relay

NODE = '/v1/nodes/%s/vendor_passthru/%s'
HEALTHY = 'database OK\nmessage bus OK\nconductors OK\nOK'
#: Seconds a /healthcheck may take with every check silent: 3 checks x the default
#: [healthcheck] check_timeout (3 s), and room for a loaded machine. Past it the
#: request fails (requests' ReadTimeout): the health check hung.
HEALTH_BOUND = 20


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('health-metrics')
    drain = os.path.join(str(workdir), 'drain')
    samples = os.path.join(str(workdir), 'prometheus')
    extra = {'api': {'api_workers': 2}, 'healthcheck': {'disable_by_file_path': drain},
             'metrics': {'multiproc_dir': samples}}
    with running_deployment(workdir, extra, conductors=1, cls=StatusPortsDeployment) as d:
        d.drain_file = drain
        d.samples_dir = samples
        yield d


def health(url, **kwargs):
    kwargs.setdefault('timeout', 30)
    resp = requests.get(url + '/healthcheck', **kwargs)
    return resp.status_code, resp.text


def scrape(url):
    """{(sample name, frozenset of labels): value} of one scrape."""
    resp = requests.get(url + '/metrics', timeout=10)
    assert resp.status_code == 200, resp.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in parser.text_string_to_metric_families(resp.text)
            for s in family.samples}


def delta(before, after, name, **labels):
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


# -- /healthcheck ---------------------------------------------------------------

class ProxiedApi:
    """An extra anvil-api of ``dep`` reaching PostgreSQL and RabbitMQ through relays."""

    def __init__(self, dep):
        self.db, db_url = relay(dep.db_url, 5432)
        self.bus, bus_url = relay(services.RABBIT_URL.replace('rabbit://', 'amqp://'), 5672)
        self.db.start()
        self.bus.start()
        self.process, self.url = dep.start_extra_api('api-proxied', {
            'metrics': {'multiproc_dir': dep.samples_dir + '-proxied'},
            'database': {'connection': db_url},
            'DEFAULT': {'transport_url': bus_url.replace('amqp://', 'rabbit://', 1)}})
        # answering, and its first checks (which open its connections) behind it
        wait_for(lambda: self._answers() and health(self.url) == (200, HEALTHY), 60,
                 interval=0.5, what='proxied anvil-api answering and healthy')

    def _answers(self):
        try:
            return requests.get(self.url + '/v1', timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        self.process.stop()
        self.db.stop()
        self.bus.stop()


@pytest.fixture
def proxied(dep):
    api = ProxiedApi(dep)
    yield api
    api.stop()


def test_healthy_everywhere(dep):
    assert health(dep.url) == (200, HEALTHY)
    name = dep.conductor_names[0]
    assert health(dep.status_url(name)) == (200, 'database OK\nmessage bus OK\nheartbeat OK')


def test_database_cut_then_back(proxied):
    assert health(proxied.url) == (200, HEALTHY)
    proxied.db.stop()
    assert health(proxied.url) == (
        503, 'database unreachable\nmessage bus OK\n'
             'conductors unknown (database unreachable)\nOK')
    proxied.db.start()
    wait_for(lambda: health(proxied.url) == (200, HEALTHY), 30, interval=0.5,
             what='healthy again with the database back')


def test_bus_cut_then_back(proxied):
    assert health(proxied.url) == (200, HEALTHY)
    proxied.bus.stop()
    assert health(proxied.url) == (503, 'database OK\nmessage bus unreachable\n'
                                         'conductors OK\nOK')
    proxied.bus.start()
    wait_for(lambda: health(proxied.url) == (200, HEALTHY), 30, interval=0.5,
             what='healthy again with the bus back')


def test_database_black_hole(proxied):
    """A database that accepts connections and never answers: 503, then healthy again."""
    assert health(proxied.url) == (200, HEALTHY)
    proxied.db.hold()
    silent = (503, 'database not answering\nmessage bus OK\n'
                   'conductors unknown (database not answering)\nOK')
    assert health(proxied.url, timeout=HEALTH_BOUND) == silent
    # the checks still waiting are not run again: the next answer is the same
    assert health(proxied.url, timeout=HEALTH_BOUND) == silent
    assert requests.get(proxied.url + '/v1', timeout=10).status_code == 200  # worker free
    proxied.db.stop()
    proxied.db.start()
    wait_for(lambda: health(proxied.url) == (200, HEALTHY), 60, interval=0.5,
             what='healthy again with the database back')


def test_bus_black_hole(proxied):
    assert health(proxied.url) == (200, HEALTHY)
    proxied.bus.hold()
    assert health(proxied.url, timeout=HEALTH_BOUND) == (
        503, 'database OK\nmessage bus not answering\nconductors OK\nOK')
    proxied.bus.stop()
    proxied.bus.start()
    wait_for(lambda: health(proxied.url) == (200, HEALTHY), 60, interval=0.5,
             what='healthy again with the bus back')


def healthcheck_access_lines(process):
    """Statuses of the /healthcheck lines of the access log in ``process``'s log."""
    return [line.split(' /healthcheck ', 1)[1].split()[0]
            for line in process.log().splitlines()
            if 'anvil.api.access' in line and ' /healthcheck ' in line]


def started_api(dep, name, sections):
    """An extra anvil-api (one worker) whose /healthcheck answered 200 once: its first
    checks, which open its connections, are behind it."""
    process, url = dep.start_extra_api(name, dict(sections, api=dict(
        sections.get('api', {}), api_workers=1)))
    try:
        wait_for(lambda: _answers(url) and health(url) == (200, HEALTHY), 60,
                 interval=0.5, what='%s answering and healthy' % name)
    except AssertionError:
        process.stop()
        raise
    return process, url


def test_healthcheck_access_lines_only_when_health_changes(dep, tmp_path):
    """By default a /healthcheck line is logged (INFO) only when the status changed."""
    drain = str(tmp_path / 'drain')
    process, url = started_api(dep, 'api-quiet', {
        'healthcheck': {'disable_by_file_path': drain},
        'metrics': {'multiproc_dir': str(tmp_path / 'samples')}})
    try:
        assert healthcheck_access_lines(process)[-1] == '200'
        before = len(healthcheck_access_lines(process))
        for _ in range(3):
            assert health(url)[0] == 200
        open(drain, 'w').close()
        for _ in range(3):
            assert health(url)[0] == 503
        os.unlink(drain)
        for _ in range(3):
            assert health(url)[0] == 200
        wait_for(lambda: len(healthcheck_access_lines(process)) >= before + 2, 10,
                 what='two more access lines')
        assert healthcheck_access_lines(process)[before:] == ['503', '200']
        # other requests keep one line each
        lines = process.log().count('GET /v1 200')
        assert requests.get(url + '/v1', timeout=10).status_code == 200
        wait_for(lambda: process.log().count('GET /v1 200') == lines + 1, 10,
                 what='the /v1 access line')
    finally:
        process.stop()


def test_log_healthcheck_logs_every_poll(dep, tmp_path):
    process, url = started_api(dep, 'api-loud', {
        'api': {'log_healthcheck': 'true'},
        'metrics': {'multiproc_dir': str(tmp_path / 'samples')}})
    try:
        before = len(healthcheck_access_lines(process))
        for _ in range(4):
            assert health(url) == (200, HEALTHY)
        wait_for(lambda: len(healthcheck_access_lines(process)) == before + 4, 10,
                 what='four more access lines')
    finally:
        process.stop()


def _answers(url):
    try:
        return requests.get(url + '/v1', timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_disable_by_file_drains_the_api(dep):
    open(dep.drain_file, 'w').close()
    try:
        assert health(dep.url) == (503, HEALTHY.replace('\nOK', '\nDISABLED BY FILE'))
    finally:
        os.unlink(dep.drain_file)
    assert health(dep.url) == (200, HEALTHY)


def test_detailed_view_under_noauth(dep):
    """noauth makes every caller an admin: the detailed view, with the checks' details."""
    body = requests.get(dep.url + '/healthcheck', headers={'Accept': 'application/json'},
                        timeout=30).json()
    assert body['detailed'] is True
    details = {r['reason']: r['details'] for r in body['reasons']}
    assert details['conductors OK'] == 'fake-hardware: %s' % dep.conductor_names[0]


# -- /metrics: exact counts after known traffic -----------------------------------

def test_scrapes_count_known_traffic(dep):
    node = dep.create_node('metrics-node')
    name = dep.conductor_names[0]
    api_before, cond_before = scrape(dep.url), scrape(dep.status_url(name))
    for _ in range(5):   # spread over both gunicorn workers by the kernel
        resp = dep.post(NODE % (node['uuid'], 'third_method_sync'), {'bar': 'x'})
        assert resp.status_code == 200, resp.text
    for _ in range(3):
        resp = dep.post(NODE % (node['uuid'], 'second_method'), {'bar': 'x'})
        assert resp.status_code == 202, resp.text
        request_id = resp.headers['x-openstack-request-id']
        wait_for(lambda rid=request_id: any(
            e['request_id'] == rid and 'succeeded' in e['event']
            for e in dep.history(node['uuid'])), 20, what='async call finished')
    dep.set_reservation(node['uuid'], 'someone-else')
    try:
        assert dep.post(NODE % (node['uuid'], 'second_method'), {'bar': 'x'}).status_code == 409
    finally:
        dep.set_reservation(node['uuid'], None)
    assert dep.post(NODE % (node['uuid'], 'nosuch'), {}).status_code == 400
    api, cond = scrape(dep.url), scrape(dep.status_url(name))

    route = '/v1/nodes/<ident>/vendor_passthru/<method>'
    sync = dict(hardware_type='fake-hardware', method='third_method_sync', mode='sync')
    asyn = dict(hardware_type='fake-hardware', method='second_method', mode='async')
    counts = {
        'sync 200': delta(api_before, api, 'anvil_api_passthru_calls_total', status='200',
                          **sync),
        'async 202': delta(api_before, api, 'anvil_api_passthru_calls_total', status='202',
                           **asyn),
        'async 409': delta(api_before, api, 'anvil_api_passthru_calls_total', status='409',
                           **asyn),
        'route 200': delta(api_before, api, 'anvil_api_requests_total', route=route,
                           method='POST', status='200'),
        'route 400': delta(api_before, api, 'anvil_api_requests_total', route=route,
                           method='POST', status='400'),
        'NodeLocked': delta(api_before, api, 'anvil_api_errors_total', status='409',
                            error='NodeLocked'),
        'rpc calls': delta(api_before, api, 'anvil_api_rpc_duration_seconds_count',
                           rpc_method='vendor_passthru', kind='call', outcome='ok'),
        'rpc casts': delta(api_before, api, 'anvil_api_rpc_duration_seconds_count',
                           rpc_method='vendor_passthru', kind='cast', outcome='ok'),
        'locks taken': delta(cond_before, cond, 'anvil_conductor_lock_wait_seconds_count',
                             outcome='acquired'),
        'async succeeded': delta(cond_before, cond, 'anvil_conductor_async_calls_finished_total',
                                 scope='node', outcome='succeeded'),
    }
    assert counts == {'sync 200': 5, 'async 202': 3, 'async 409': 1, 'route 200': 5,
                      'route 400': 1, 'NodeLocked': 1, 'rpc calls': 5, 'rpc casts': 3,
                      'locks taken': 8, 'async succeeded': 3}
    assert cond[('anvil_conductor_async_calls_running', frozenset())] == 0
    assert cond[('anvil_conductor_worker_pool_size', frozenset())] == 100
    # no node UUID ever becomes a label
    assert not any(node['uuid'] in value for key in api for _, value in key[1])
    # the API's scrape adds up its workers' sample files in [metrics] multiproc_dir
    # (multiprocess mode: no per-process python_* series); the conductor's is its own
    assert any(f.startswith('counter_') for f in os.listdir(dep.samples_dir)), \
        os.listdir(dep.samples_dir)
    assert not any(name.startswith('python_') for name, _ in api)
    assert any(name.startswith('python_') for name, _ in cond)


# -- no live conductor: last, it stops the deployment's only conductor ----------

def test_no_live_conductor_then_back(dep):
    name = dep.conductor_names[0]
    assert health(dep.url) == (200, HEALTHY)
    dep.conductors[name].stop()
    assert health(dep.url) == (503, 'database OK\nmessage bus OK\n'
                                    'no live conductor for fake-hardware\nOK')
    dep.start_conductor(name)
    dep.wait_conductor_alive(name)
    wait_for(lambda: health(dep.url) == (200, HEALTHY), 30, what='healthy with a conductor')


# -- the all-in-one ------------------------------------------------------------------

def test_all_in_one_bus_black_hole(tmp_path):
    """The all-in-one on RabbitMQ (through a relay) answers 503, not a hang, when the
    broker goes silent."""
    services.require_rabbit()
    bus, bus_url = relay(services.RABBIT_URL.replace('rabbit://', 'amqp://'), 5672)
    bus.start()
    try:
        with running_all_in_one(tmp_path, rpc_transport='oslo',
                                rabbit_url=bus_url.replace('amqp://', 'rabbit://', 1)) as aio:
            wait_for(lambda: health(aio.url) == (200, HEALTHY), 60, interval=0.5,
                     what='healthy all-in-one')
            bus.hold()
            assert health(aio.url, timeout=HEALTH_BOUND) == (
                503, 'database OK\nmessage bus not answering\nconductors OK\nOK')
            bus.stop()   # the broker back, so the all-in-one stops cleanly
            bus.start()
            wait_for(lambda: health(aio.url) == (200, HEALTHY), 60, interval=0.5,
                     what='healthy again with the bus back')
    finally:
        bus.stop()


def test_all_in_one_health_and_metrics(tmp_path):
    with running_all_in_one(tmp_path) as aio:
        assert health(aio.url) == (200, 'database OK\nmessage bus not used\nconductors OK\nOK')
        drain = os.path.join(aio.state_path, 'healthcheck-disable')   # the default path
        open(drain, 'w').close()
        assert health(aio.url)[0] == 503
        os.unlink(drain)
        node = aio.create_node('aio-metrics')
        before = scrape(aio.url)
        for _ in range(4):
            assert aio.post(NODE % (node['uuid'], 'third_method_sync'),
                            {'bar': 'x'}).status_code == 200
        after = scrape(aio.url)
        assert delta(before, after, 'anvil_api_passthru_calls_total', status='200',
                     hardware_type='fake-hardware', method='third_method_sync',
                     mode='sync') == 4
        # one process, one registry: the conductor's series are in the API's scrape
        assert delta(before, after, 'anvil_conductor_lock_wait_seconds_count',
                     outcome='acquired') == 4
