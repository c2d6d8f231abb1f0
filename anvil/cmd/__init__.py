"""Console scripts. Importing this package selects oslo.service's threading
backend, before anything can import eventlet or oslo_service.service."""

from oslo_service import backend

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass
