"""anvil's exceptions: one class per condition of DESIGN.md, each with its HTTP code.

They cross RPC (``allowed_remote_exmods``), where oslo.messaging rebuilds them
as ``cls(*args, **kwargs)`` from the remote ``kwargs``; so every class takes
its message parameters as keyword arguments and keeps them JSON-serialisable.
``anvil/api/errors.py`` turns any of them into Ironic's error body.
"""


class AnvilException(Exception):
    """Base class: ``_msg_fmt`` % kwargs is the message clients print."""

    _msg_fmt = 'An unknown exception occurred.'
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self._msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                message = self._msg_fmt
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self):
        return self.message


class Invalid(AnvilException):
    _msg_fmt = 'Invalid request.'
    code = 400


class InvalidParameterValue(Invalid):
    _msg_fmt = '%(err)s'


class MissingArgument(Invalid):
    _msg_fmt = 'Missing mandatory parameter: %(name)s'


class UnsupportedHTTPMethod(Invalid):
    _msg_fmt = 'The method %(method)s does not support HTTP %(http_method)s'


class NoHandlerForMethod(Invalid):
    _msg_fmt = 'No handler for method %(method)s'


class MethodDenied(Invalid):
    _msg_fmt = ('The method %(method)s of driver %(driver)s is disabled '
                'by the operator.')


class Forbidden(AnvilException):
    """The caller is authenticated but a policy rule refuses the action."""

    _msg_fmt = 'Access was denied to the following resource: %(resource)s'
    code = 403


class NotFound(AnvilException):
    _msg_fmt = 'Resource could not be found.'
    code = 404


class NodeNotFound(NotFound):
    _msg_fmt = 'Node %(node)s could not be found.'


class DriverNotFound(NotFound):
    _msg_fmt = "The driver '%(driver_name)s' is unknown."


class ConductorNotFound(NotFound):
    _msg_fmt = 'Conductor %(conductor)s could not be found.'


class Conflict(AnvilException):
    _msg_fmt = 'Conflict.'
    code = 409


class NodeLocked(Conflict):
    _msg_fmt = ('Node %(node)s is locked by host %(host)s, please retry '
                'after the current operation is completed.')


class NodeChanged(Conflict):
    """The locked node is not the one the API routed the call for (nothing ran).

    The API catches it and routes the call again from a fresh read; it
    reaches a client only if the node keeps changing under it.
    """

    _msg_fmt = ('Node %(node)s changed while the call was being routed '
                '(%(what)s); nothing ran, please retry.')


class CallSettled(Conflict):
    """An async call its conductor was about to start already has its outcome.

    Raised inside the transaction that takes its node and writes "started",
    which it rolls back: the expiry or abandoned-call sweep settled the call
    (e.g. while its conductor was frozen), and told the node it did not run.
    Nothing runs; it never reaches a client (a cast has no reply).
    """

    _msg_fmt = 'The async call %(request_id)s already has its outcome; it is not started.'


class DuplicateName(Conflict):
    _msg_fmt = 'A node with name %(name)s already exists.'


class NodeAlreadyExists(Conflict):
    _msg_fmt = 'A node with UUID %(uuid)s already exists.'


class ServiceUnavailable(AnvilException):
    """Nothing ran: the client may retry later."""

    _msg_fmt = 'Resource temporarily unavailable, please retry.'
    code = 503


class NoFreeConductor(ServiceUnavailable):
    _msg_fmt = ('No conductor is alive to serve driver %(driver)s, '
                'please retry later.')


class NoFreeConductorWorker(ServiceUnavailable):
    _msg_fmt = 'Requested action cannot be performed due to lack of free conductor workers.'


class MessageBusUnavailable(ServiceUnavailable):
    _msg_fmt = 'The message bus is unreachable, please retry later: %(reason)s'


class DatabaseUnavailable(ServiceUnavailable):
    _msg_fmt = 'The database is unavailable or overloaded, please retry later.'


class ConductorVersionUnsupported(ServiceUnavailable):
    """The conductor runs an older release than the call needs; it ran nothing."""

    _msg_fmt = ('Conductor %(host)s cannot handle version %(version)s of %(method)s: it '
                'runs an older release. During a rolling upgrade set [DEFAULT] '
                'pin_release_version on every anvil-api to the release of the oldest '
                'conductor (one of: %(releases)s).')


class ConductorShuttingDown(ServiceUnavailable):
    _msg_fmt = 'Conductor %(host)s is shutting down, please retry.'


class ConductorFenced(ConductorShuttingDown):
    """The conductor could not renew its lease in time: it starts nothing (503).

    A ConductorShuttingDown, so the API re-reads the topology and sends the
    call once more (to the new owner, if the lease is over meanwhile).
    """

    _msg_fmt = ('Conductor %(host)s could not renew its lease for %(age).1f s and '
                'starts no new work, please retry.')


class ConductorTimeout(AnvilException):
    """The conductor did not answer in time; the method may have run."""

    _msg_fmt = ('Conductor %(host)s did not answer in time (no reply within %(timeout)s s, '
                'or no sign of life for %(monitor)s s); the method may or may not have run.')
    code = 504


class CallAbandoned(ConductorTimeout):
    """A sync call read after its caller gave up (it got 504): not run, no one to answer."""

    _msg_fmt = ('Call of %(method)s read %(late).1f s after its caller gave up; '
                'it was not run.')


class CallRedelivered(ConductorTimeout):
    """A sync call the broker delivered a second time: it may have run on the first receiver.

    RabbitMQ redelivers a message whose consumer's connection closed before
    its acknowledgement arrived, e.g. a conductor cut from the bus just after
    it took the call: that conductor may be running it, with no way to reply.
    Running it again could drive the BMC twice, so it is answered 504.
    """

    _msg_fmt = ('Call of %(method)s was delivered again after the conductor that first '
                'received it lost its message bus link; it may have run there, so it was '
                'not run again.')


class DriverOperationError(AnvilException):
    """A vendor method failed inside the driver (code set by the driver)."""

    _msg_fmt = 'Vendor method %(method)s failed: %(reason)s'

    def __init__(self, message=None, code=None, **kwargs):
        super().__init__(message, **kwargs)
        if code is not None:
            self.code = int(code)
            self.kwargs['code'] = self.code


class NotAcceptable(AnvilException):
    _msg_fmt = 'Not acceptable.'
    code = 406


class PayloadTooLarge(AnvilException):
    _msg_fmt = 'Request body is larger than %(limit)s bytes.'
    code = 413
