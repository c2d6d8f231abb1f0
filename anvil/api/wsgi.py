"""WSGI entry point for gunicorn or any WSGI server: ``anvil.api.wsgi:application``.

Reads the configuration from ``ANVIL_CONFIG_FILE`` (or /etc/anvil/anvil.conf
when it exists). Use threaded workers (gunicorn ``-k gthread``).
"""

import anvil.cmd  # noqa: F401  (threading backend first)
from anvil.cmd import common

application = common.build_api_app()
