"""Console scripts: anvil, anvil-api, anvil-conductor, anvil-dbsync.

Importing this package imports ``anvil.common.startup``, which selects
oslo.service's threading backend: a script module's own imports (e.g.
``oslo_service.service``) run after it, so nothing can pick eventlet first.
"""

from anvil.common import startup  # noqa: F401  (threading backend first)
