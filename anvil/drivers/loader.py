"""Load hardware types from the ``anvil.hardware.types`` entry point group."""

from oslo_log import log
from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exc

from anvil.common import exception

LOG = log.getLogger(__name__)
NAMESPACE = 'anvil.hardware.types'


def load_hardware_types(names):
    """{name: HardwareType instance} for every name that loads.

    Raises DriverNotFound when none of ``names`` can be loaded: a conductor
    serving nothing must not start.
    """
    loaded = {}
    for name in names:
        try:
            mgr = stevedore_driver.DriverManager(NAMESPACE, name, invoke_on_load=True,
                                                 invoke_args=(name,))
        except (stevedore_exc.NoMatches, RuntimeError, ImportError) as e:
            LOG.error('Could not load hardware type %s: %s', name, e)
            continue
        loaded[name] = mgr.driver
    if not loaded:
        raise exception.DriverNotFound(driver_name=','.join(names))
    return loaded
