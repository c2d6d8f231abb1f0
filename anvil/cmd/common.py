"""What every console script does first: config, logging, and building the pieces.

Console scripts select oslo.service's threading backend before importing
this module (see ``anvil/cmd/__init__.py``).
"""

import os
import sys

from oslo_log import log

from anvil.common.config import CONF

LOG = log.getLogger(__name__)
_DEFAULT_CONFIG = '/etc/anvil/anvil.conf'

log.register_options(CONF)


def parse_args(argv=None, prog=None):
    """Parse ``--config-file`` & co.; default config files from env or /etc/anvil."""
    argv = sys.argv[1:] if argv is None else argv
    default_files = []
    env_file = os.environ.get('ANVIL_CONFIG_FILE')
    if env_file:
        default_files = [env_file]
    elif os.path.exists(_DEFAULT_CONFIG):
        default_files = [_DEFAULT_CONFIG]
    CONF(argv, project='anvil', prog=prog, default_config_files=default_files)
    log.set_defaults(default_log_levels=log.get_default_log_levels() + [
        'oslo_messaging=WARNING', 'sushy=WARNING', 'werkzeug=WARNING', 'cheroot=WARNING',
        'alembic.runtime.plugins=WARNING'])
    log.setup(CONF, 'anvil')


def build_api_app(conductor_api=None):
    """The API WSGI app; parses the configuration first if nobody did yet."""
    from anvil.api import app
    if not _parsed():
        parse_args([], prog='anvil-api')
    return app.create_app(conductor_api)


def _parsed():
    """True once CONF() has parsed a command line (oslo.config keeps no public flag)."""
    return CONF._namespace is not None
