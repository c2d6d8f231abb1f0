"""Console scripts. Importing this package selects oslo.service's threading
backend, before anything can import eventlet or oslo_service.service.

oslo.service and futurist still import eventlet (unused, never monkey-patched
here); its deprecation warning at every start is noise for operators, and so
is cryptography's about DSA, which dnspython (imported through eventlet) raises.
"""

import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
warnings.filterwarnings('ignore', message=r'DSA is deprecated')

from oslo_service import backend  # noqa: E402

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass
