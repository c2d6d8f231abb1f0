"""anvil-conductor as a conductor of release 0.1 sees the RPC API: python -m this.

No older release of anvil is installable next to this one, and release 0.1's
only difference on the wire is the RPC version its manager serves (1.0: it
refuses calls of 1.1, which may carry ``expect``). So this runs the real
anvil-conductor with the manager advertising that version, and nothing else
changed; the test owns the knob, the product has none.
"""

import sys

# startup first: it selects oslo.service's threading backend, as anvil-conductor does
from anvil.common import startup  # noqa: F401  # isort: skip
import oslo_messaging  # noqa: E402

from anvil.common import release_versions  # noqa: E402
from anvil.conductor import manager  # noqa: E402

OLD_RELEASE = '0.1'

if __name__ == '__main__':
    manager.ConductorManager.target = oslo_messaging.Target(
        version=release_versions.RELEASES[OLD_RELEASE]['rpc'])
    from anvil.cmd import conductor
    sys.exit(conductor.main())
