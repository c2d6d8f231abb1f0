"""The BMC client cache: reuse, bounds, expiry, dropping, and no lock held while building."""

import threading
import time

import pytest

from anvil.drivers.redfish import client_cache, driver_info
from tests.functional.deployment import wait_for


class Client:
    def __init__(self, key):
        self.key = key
        self.closed = threading.Event()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make(max_size=10, max_age=600, build=None, clock=None):
    built = []

    def default_build(key):
        client = Client(key)
        built.append(client)
        return client

    cache = client_cache.ClientCache(build or default_build, lambda c: c.closed.set(),
                                     max_size, max_age, clock or time.monotonic)
    return cache, built


def closed(client):
    wait_for(client.closed.is_set, 5, what='client logged out')
    return True


def test_one_client_per_key():
    cache, built = make()
    assert cache.get('a') is cache.get('a')
    assert cache.get('b') is not cache.get('a')
    assert len(built) == 2


def test_least_recently_used_is_evicted_and_logged_out():
    cache, built = make(max_size=2)
    a, b = cache.get('a'), cache.get('b')
    cache.get('a')  # a is now the most recently used
    cache.get('c')
    assert 'b' not in cache and 'a' in cache and len(cache) == 2
    assert closed(b)
    assert not a.closed.is_set()


def test_expired_client_is_replaced_and_logged_out():
    clock = Clock()
    cache, built = make(max_age=600, clock=clock)
    first = cache.get('a')
    clock.now += 599
    assert cache.get('a') is first
    clock.now += 2
    second = cache.get('a')
    assert second is not first
    assert closed(first)


def test_drop_only_the_client_that_failed():
    cache, _ = make()
    old = cache.get('a')
    cache.drop('a', old)
    new = cache.get('a')
    assert closed(old)
    cache.drop('a', old)  # a late drop of the old one must not remove the new one
    assert cache.get('a') is new and not new.closed.is_set()


def test_failed_build_caches_nothing():
    def build(key):
        raise ConnectionError('BMC down')
    cache, _ = make(build=build)
    with pytest.raises(ConnectionError):
        cache.get('a')
    assert len(cache) == 0


def test_building_one_client_does_not_block_others():
    """A dead BMC (a build stuck in a timeout) must not hold up calls to other BMCs."""
    release = threading.Event()

    def build(key):
        if key == 'dead':
            release.wait(30)
        return Client(key)
    cache, _ = make(build=build)
    stuck = threading.Thread(target=cache.get, args=('dead',))
    stuck.start()
    try:
        start = time.monotonic()
        cache.get('alive')
        assert time.monotonic() - start < 1
        assert stuck.is_alive()
    finally:
        release.set()
        stuck.join(10)


def test_concurrent_builds_of_one_key_share_the_winner():
    barrier = threading.Barrier(2)
    built = []

    def build(key):
        barrier.wait(5)
        client = Client(key)
        built.append(client)
        return client
    cache, _ = make(build=build)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get('a')))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(built) == 2 and results[0] is results[1]
    loser = next(c for c in built if c is not results[0])
    assert closed(loser)


def test_clear_logs_everything_out():
    cache, built = make()
    cache.get('a'), cache.get('b')
    cache.clear()
    assert len(cache) == 0
    assert all(closed(c) for c in built)


def test_keys_are_cheap():
    """Ironic derives its key with 600 000 PBKDF2 rounds per call (~0.4 s); this is a tuple."""
    info = driver_info.parse({'redfish_address': 'bmc', 'redfish_username': 'u',
                              'redfish_password': 'p' * 64})
    cache, _ = make()
    start = time.perf_counter()
    for _ in range(10000):
        cache.get(info.key())
    assert time.perf_counter() - start < 2.0


def test_clear_can_wait_for_the_logouts():
    cache, built = make()
    cache.get('a'), cache.get('b')
    assert cache.clear(timeout=5) is True
    assert all(c.closed.is_set() for c in built)


def test_clear_gives_up_on_a_stuck_logout():
    stuck = threading.Event()
    cache = client_cache.ClientCache(Client, lambda c: stuck.wait(10), 10, 600)
    cache.get('dead-bmc')
    start = time.monotonic()
    assert cache.clear(timeout=0.2) is False
    assert time.monotonic() - start < 2
    stuck.set()
