"""Who serves what: live conductors, their vendor methods and the hash rings.

A ``Topology`` is one snapshot of the database (three queries): conductors
alive, hardware types each serves, vendor-method metadata. From it come one
tooz hash ring per (hardware type, conductor group), the owner of a node,
and the method metadata the API checks requests against.
``TopologyCache`` keeps one snapshot per process and re-reads it when it is
older than ``[api] metadata_cache_ttl``, when the lease of a conductor in it
may have run out since (so a dead conductor leaves the rings within
``[conductor] heartbeat_timeout`` of its last heartbeat), or when told
something changed.
"""

import itertools
import threading
import time

from tooz import hashring

from anvil.common import exception, vendor_metadata
from anvil.common.config import CONF
from anvil.db import conductors as db_conductors


class Topology:
    def __init__(self, data, partitions):
        self.conductors = data['conductors']            # {hostname: group}
        self.hardware_types = data['hardware_types']    # {type: {hostname: interfaces}}
        self.known_types = data['known_types']
        self.valid_for = data.get('valid_for')          # seconds, from the load
        self._methods = data['methods']
        self._partitions = partitions
        self._rings = {}
        self._round_robin = itertools.count()

    def check_driver(self, driver):
        """Raise DriverNotFound if no conductor ever registered ``driver``."""
        if driver not in self.known_types and driver not in self.hardware_types:
            raise exception.DriverNotFound(driver_name=driver)

    def hosts_for(self, driver, group=None):
        """Sorted live hosts serving ``driver`` (in ``group`` when given)."""
        hosts = self.hardware_types.get(driver, {})
        return sorted(h for h in hosts if group is None or self.conductors.get(h) == group)

    def _ring(self, driver, group):
        key = (driver, group)
        ring = self._rings.get(key)
        if ring is None:
            ring = hashring.HashRing(self.hosts_for(driver, group), partitions=self._partitions)
            self._rings[key] = ring
        return ring

    def owner(self, node):
        """Host that owns ``node``; NoFreeConductor (503) when none is alive."""
        self.check_driver(node['driver'])
        hosts = self._ring(node['driver'], node['conductor_group']).get_nodes(
            node['uuid'].encode())
        if not hosts:
            raise exception.NoFreeConductor(driver=node['driver'])
        return next(iter(hosts))

    def any_host(self, driver):
        """A live host serving ``driver`` (round robin) for driver methods."""
        self.check_driver(driver)
        hosts = self.hosts_for(driver)
        if not hosts:
            raise exception.NoFreeConductor(driver=driver)
        return hosts[next(self._round_robin) % len(hosts)]

    def default_vendor_interface(self, driver):
        for ifaces in self.hardware_types.get(driver, {}).values():
            return ifaces.get('vendor', {}).get('default')
        return None

    def interfaces(self, driver):
        """{kind: {"default", "supported"}} as published by a live conductor, or None."""
        for ifaces in self.hardware_types.get(driver, {}).values():
            return {k: v for k, v in ifaces.items() if k != vendor_metadata.DRIVER_INFO_SCHEMA}
        return None

    def driver_info_schema(self, driver):
        """The JSON Schema for ``driver``'s driver_info, if a live conductor published one."""
        for ifaces in self.hardware_types.get(driver, {}).values():
            return ifaces.get(vendor_metadata.DRIVER_INFO_SCHEMA)
        return None

    def methods(self, driver, vendor_interface, scope):
        """{name: details} for (driver, vendor interface, scope).

        Raises DriverNotFound for a driver never registered, NoFreeConductor
        when it is known but no conductor serving it is alive.
        """
        self.check_driver(driver)
        if not self.hosts_for(driver):
            raise exception.NoFreeConductor(driver=driver)
        iface = vendor_interface or self.default_vendor_interface(driver)
        return self._methods.get((driver, iface, scope), {})


class TopologyCache:
    """One ``Topology`` per process, refreshed after ``ttl`` seconds or on demand."""

    def __init__(self, ttl=None):
        self._ttl = ttl
        self._lock = threading.Lock()
        self._topology = None
        self._loaded_at = 0.0

    def get(self):
        if self._stale():
            with self._lock:
                if self._stale():
                    loaded_at = time.monotonic()
                    self._topology = self._load()
                    self._loaded_at = loaded_at
        return self._topology

    def _stale(self):
        ttl = CONF.api.metadata_cache_ttl if self._ttl is None else self._ttl
        if self._topology is None:
            return True
        age = time.monotonic() - self._loaded_at
        valid_for = self._topology.valid_for  # a lease in it may be over past this
        return age > ttl or (valid_for is not None and age > valid_for)

    def invalidate(self):
        """Re-read on next use (a conductor was found gone or new)."""
        # not 0.0: monotonic time counts from boot on Linux, which may be < ttl ago
        self._loaded_at = float('-inf')

    @staticmethod
    def _load():
        data = db_conductors.get_topology(CONF.conductor.heartbeat_timeout)
        return Topology(data, 2 ** CONF.conductor.hash_partition_exponent)
