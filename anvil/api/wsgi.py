"""WSGI entry point for gunicorn or any WSGI server: ``anvil.api.wsgi:application``.

Reads the configuration from ``ANVIL_CONFIG_FILE`` (or /etc/anvil/anvil.conf
when it exists), unless the hosting process parsed one already. Use threaded
workers (gunicorn ``-k gthread``).
"""

from anvil.common import startup  # noqa: I001  (threading backend first)
from anvil.api import app

if not startup.parsed():
    startup.parse_args([], prog='anvil-api')
application = app.create_app()
