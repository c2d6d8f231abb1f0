"""WSGI entry point for gunicorn or any WSGI server: ``anvil.api.wsgi:application``.

Reads the configuration from ``ANVIL_CONFIG_FILE`` (or /etc/anvil/anvil.conf
when it exists).
"""

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from anvil.cmd import common  # noqa: E402

application = common.build_api_app()
