"""anvil-conductor: one conductor under oslo.service's launcher (threading backend).

The launcher forks a child that runs ``ConductorService.start()``; SIGTERM to
the parent stops the child cleanly (locks released, marked offline).
"""

import os
import sys

from oslo_service import service

from anvil.common import startup
from anvil.common.config import CONF


def main(argv=None):
    # One process records and serves its own metrics ([conductor] metrics_port):
    # gunicorn's multiprocess files are the API's business.
    os.environ.pop('PROMETHEUS_MULTIPROC_DIR', None)
    startup.parse_args(
        argv, prog='anvil-conductor',
        description='One anvil conductor: it owns a share of the nodes, takes their '
                    'locks and runs their drivers\' vendor methods.',
        first_options='Changed first: [DEFAULT] host, transport_url, '
                      'enabled_hardware_types; [database] connection; [conductor] '
                      'conductor_group.')
    from anvil.conductor.service import ConductorService
    launcher = service.launch(CONF, ConductorService(), workers=1, restart_method='mutate')
    launcher.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
