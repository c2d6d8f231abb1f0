"""What every anvil process does first: threading backend, configuration, logging.

Importing this module selects oslo.service's threading backend, so import it
before anything that could import eventlet or ``oslo_service.service``: the
console scripts (``anvil/cmd``) and the WSGI entry point (``anvil/api/wsgi.py``)
do, as their first anvil import.

oslo.service and futurist still import eventlet (unused, never monkey-patched
here); its deprecation warning at every start is noise for operators, and so
is cryptography's about DSA, which dnspython (imported through eventlet) raises.
"""

import importlib.metadata
import logging
import os
import sys
import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
warnings.filterwarnings('ignore', message=r'DSA is deprecated')

from oslo_service import backend  # noqa: E402

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass

from oslo_log import log  # noqa: E402

from anvil.common.config import CONF  # noqa: E402

_DEFAULT_CONFIG = '/etc/anvil/anvil.conf'

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
    register_log_options()
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project='anvil', prog=prog, default_config_files=default_config_files(),
         version=_version(), description=description,
         epilog=_WHERE_OPTIONS_ARE + first_options)
    log.set_defaults(default_log_levels=log.get_default_log_levels() + [
        'oslo_messaging=WARNING', 'sushy=WARNING', 'werkzeug=WARNING', 'cheroot=WARNING',
        'alembic.runtime.plugins=WARNING'])
    log.setup(CONF, 'anvil')
    # warnings of libraries in the same format as every other line (JSON too)
    logging.captureWarnings(True)


def register_log_options():
    """oslo.log's options (CLI ones among them): before parsing, once.

    Not at import: tests import anvil after they parsed CONF themselves.
    """
    if 'log_config_append' not in CONF:
        log.register_options(CONF)


def _version():
    try:
        return importlib.metadata.version('anvil')
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return 'unknown'


def parsed():
    """True once CONF() has parsed a command line (oslo.config keeps no public flag)."""
    return CONF._namespace is not None
