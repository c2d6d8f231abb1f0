"""What every console script does first: config, logging, and building the pieces.

Console scripts select oslo.service's threading backend before importing
this module (see ``anvil/cmd/__init__.py``).
"""

import importlib.metadata
import os
import sys

from oslo_log import log

from anvil.common.config import CONF

LOG = log.getLogger(__name__)
_DEFAULT_CONFIG = '/etc/anvil/anvil.conf'

log.register_options(CONF)


_WHERE_OPTIONS_ARE = (
    'Options are read from the files given with --config-file (default: '
    '$ANVIL_CONFIG_FILE, else /etc/anvil/anvil.conf if it exists); every option is '
    'described in etc/anvil/anvil.conf.sample. ')


def default_config_files():
    """$ANVIL_CONFIG_FILE, else /etc/anvil/anvil.conf if it exists, else none."""
    env_file = os.environ.get('ANVIL_CONFIG_FILE')
    if env_file:
        return [env_file]
    return [_DEFAULT_CONFIG] if os.path.exists(_DEFAULT_CONFIG) else []


def parse_args(argv=None, prog=None, description=None, first_options=''):
    """Parse ``--config-file`` & co.; default config files from env or /etc/anvil.

    ``description`` and ``first_options`` (the options a user changes first)
    make the command's ``--help``; ``--version`` prints anvil's version.
    """
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project='anvil', prog=prog, default_config_files=default_config_files(),
         version=_version(), description=description,
         epilog=_WHERE_OPTIONS_ARE + first_options)
    log.set_defaults(default_log_levels=log.get_default_log_levels() + [
        'oslo_messaging=WARNING', 'sushy=WARNING', 'werkzeug=WARNING', 'cheroot=WARNING',
        'alembic.runtime.plugins=WARNING'])
    log.setup(CONF, 'anvil')


def _version():
    try:
        return importlib.metadata.version('anvil')
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return 'unknown'


def build_api_app(conductor_api=None):
    """The API WSGI app; parses the configuration first if nobody did yet."""
    from anvil.api import app
    if not _parsed():
        parse_args([], prog='anvil-api')
    return app.create_app(conductor_api)


def _parsed():
    """True once CONF() has parsed a command line (oslo.config keeps no public flag)."""
    return CONF._namespace is not None
