"""One object per process, made on first use and made again in a forked child.

The DB engine, the RPC transport and the API's bus client hold sockets and
threads that must not cross a fork (oslo.service's launcher and gunicorn
fork after import): each is made lazily by the process that uses it.
"""

import os
import threading


class PerProcess:
    """Holds what ``factory()`` made for the current process."""

    def __init__(self, factory):
        self._factory = factory
        self._lock = threading.Lock()
        self._pid = None
        self._value = None

    def get(self):
        """This process's object, made now if this process has none yet."""
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    self._value = self._factory()
                    self._pid = pid
        return self._value

    def current(self):
        """This process's object if it made one already, else None (makes nothing)."""
        return self._value if self._pid == os.getpid() else None

    def reset(self, close=None):
        """Forget the object; ``close(obj)`` first if this process made it."""
        with self._lock:
            if self._value is not None and self._pid == os.getpid() and close is not None:
                close(self._value)
            self._value = None
            self._pid = None
