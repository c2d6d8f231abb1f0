"""A bounded LRU of BMC clients with expiry, shared by every thread of a conductor.

Opening a Redfish client costs a service-root GET and a session login, and
a BMC allows few sessions, so one client per (address, credentials) is
reused. The lock guards only the dictionary: building a client (network
I/O) and logging one out happen outside it, so one dead BMC never blocks
calls to the others. Clients past ``max_age`` are rebuilt (a fresh session,
and the service root read again); the least recently used beyond
``max_size`` are evicted. Evicted, expired and dropped clients are logged
out in a background thread, since a logout to a dead BMC takes a timeout.
"""

import collections
import threading
import time

from oslo_log import log

from anvil.drivers.redfish import metrics as redfish_metrics

LOG = log.getLogger(__name__)


class ClientCache:
    """``get(key)`` returns a live client for ``key``, building it with ``build(key)``.

    ``close(client)`` logs a client out. ``build`` may raise anything; the
    exception reaches the caller of ``get`` and nothing is cached.
    """

    def __init__(self, build, close, max_size, max_age, clock=time.monotonic):
        self._build = build
        self._close = close
        self._max_size = max_size
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._entries = collections.OrderedDict()  # key -> (client, created_at)

    def __len__(self):
        with self._lock:
            return len(self._entries)

    def __contains__(self, key):
        with self._lock:
            return key in self._entries

    def get(self, key):
        """The cached client for ``key`` if fresh, else a new one (cached)."""
        with self._lock:
            client, stale = self._lookup(key)
        self._retire(stale)
        redfish_metrics.cache_lookup('hit' if client is not None else
                                     'expired' if stale else 'miss')
        if client is not None:
            return client
        client = self._build(key)
        with self._lock:
            client, retired = self._store(key, client)
        self._retire(retired)
        return client

    def drop(self, key, client):
        """Forget ``client`` (e.g. after an auth error) unless already replaced."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not client:
                return
            del self._entries[key]
        LOG.info('Dropped the cached BMC connection %r', key)
        self._retire([client])

    def clear(self, timeout=None):
        """Log every client out, in parallel; wait up to ``timeout`` s (None: don't wait).

        Returns True when every logout finished in time.
        """
        with self._lock:
            clients = [client for client, _ in self._entries.values()]
            self._entries.clear()
        threads = [self._retire([client]) for client in clients]
        if timeout is None:
            return not threads
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    # -- under the lock ----------------------------------------------------

    def _lookup(self, key):
        """(fresh client or None, [expired client]); the caller holds the lock."""
        entry = self._entries.get(key)
        if entry is None:
            return None, []
        client, created = entry
        if self._clock() - created < self._max_age:
            self._entries.move_to_end(key)
            return client, []
        del self._entries[key]
        return None, [client]

    def _store(self, key, client):
        """Cache ``client`` unless another thread cached one first; evict beyond size."""
        existing, retired = self._lookup(key)
        if existing is not None:
            return existing, [client]
        self._entries[key] = (client, self._clock())
        while len(self._entries) > self._max_size:
            _, (old, _) = self._entries.popitem(last=False)
            retired.append(old)
        return client, retired

    # -- outside the lock --------------------------------------------------

    def _retire(self, clients):
        """Log ``clients`` out in a background thread; returns it (None: nothing to do)."""
        if not clients:
            return None
        thread = threading.Thread(target=self._close_all, args=(clients,), daemon=True,
                                  name='redfish-logout')
        thread.start()
        return thread

    def _close_all(self, clients):
        for client in clients:
            try:
                self._close(client)
            except Exception as e:  # a failed logout must not hurt anyone
                LOG.warning('Logging out of a BMC failed: %s', e)
