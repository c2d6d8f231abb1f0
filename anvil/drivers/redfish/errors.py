"""What a BMC failure means to an anvil client: sushy errors → anvil errors with a code.

Only ``anvil.common.exception`` classes cross RPC, so every failure becomes
``DriverOperationError`` with the BMC's own message and a code that tells
the client what to do:

- BMC 404 (unknown subscription, system) → 404; BMC 400 → 400 (the BMC
  refused the arguments); a feature or action the BMC lacks → 400;
- BMC unreachable (refused, connect timeout) → 503: nothing reached the
  BMC, so a client may retry;
- BMC connected but did not answer in time → 504: it may have acted;
- credentials refused (401/403), any HTTP error while logging in, BMC
  5xx, an answer that is not Redfish → 502: the BMC (the gateway's
  upstream) or the node's settings are at fault, not the request.
"""

import requests
from sushy import exceptions as sushy_exc

from anvil.common import exception, masking


def _http(exc, where):
    detail = exc.detail or str(exc)
    if isinstance(exc, sushy_exc.ResourceNotFoundError):
        return 404, '%s: not found on the BMC (HTTP 404): %s' % (where, detail)
    if isinstance(exc, sushy_exc.BadRequestError):
        return 400, '%s: the BMC refused the request (HTTP 400): %s' % (where, detail)
    if isinstance(exc, sushy_exc.AccessError):
        return 502, ('%s: the BMC refused the credentials in driver_info (HTTP %s): %s'
                     % (where, exc.status_code, detail))
    return 502, '%s: the BMC answered HTTP %s: %s' % (where, exc.status_code, detail)


def _reason(cause):
    """The innermost reason of a requests error (urllib3 wraps it twice)."""
    inner = cause.args[0] if cause is not None and cause.args else cause
    return str(getattr(inner, 'reason', inner))


def _connection(exc, where, timeouts):
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, requests.exceptions.ReadTimeout):
        return 504, ('%s: the BMC did not answer within %s s (it may have acted)'
                     % (where, timeouts[1]))
    if isinstance(cause, requests.exceptions.SSLError):
        return 502, ('%s: TLS with the BMC failed (see redfish_verify_ca): %s'
                     % (where, _reason(cause)))
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return 503, ('%s: the BMC is unreachable: no connection within %s s'
                     % (where, timeouts[0]))
    return 503, '%s: the BMC is unreachable: %s' % (where, _reason(cause) if cause else exc)


def _login(exc, where):
    """Any HTTP error while opening the connection is a failed login (never a 404)."""
    detail = exc.detail or str(exc)
    if isinstance(exc, sushy_exc.AccessError):
        return 502, ('%s: the BMC refused the credentials in driver_info (HTTP %s): %s'
                     % (where, exc.status_code, detail))
    return 502, '%s: the login failed (HTTP %s): %s' % (where, exc.status_code, detail)


def _code_and_message(exc, where, timeouts, login):
    if isinstance(exc, sushy_exc.HTTPError):
        return _login(exc, where) if login else _http(exc, where)
    if isinstance(exc, sushy_exc.ConnectionError):
        return _connection(exc, where, timeouts)
    if isinstance(exc, (sushy_exc.MissingAttributeError, sushy_exc.MissingActionError)):
        return 400, '%s: the BMC does not offer it: %s' % (where, exc)
    if isinstance(exc, sushy_exc.UnknownDefaultError):
        return 400, '%s: %s; set redfish_system_id in driver_info' % (where, exc)
    if isinstance(exc, ValueError):
        return 502, '%s: the BMC answered something that is not Redfish JSON: %s' % (
            where, exc)
    return 500, '%s: %s' % (where, exc)


def translate(exc, method, where, timeouts, login=False, secrets=()):
    """The anvil exception for ``exc`` raised while running ``method``.

    ``where`` names the operation and BMC for the message (never a
    password); ``timeouts`` is (connect, read) seconds, quoted on timeouts;
    ``login`` says ``exc`` came while opening the connection; ``secrets``
    (the BMC password) are masked should the BMC's message echo them.
    """
    code, reason = _code_and_message(exc, where, timeouts, login)
    return exception.DriverOperationError(method=method, reason=masking.mask_text(reason, secrets),
                                          code=code)


#: what ``translate`` understands; anything else is a bug and stays a 500
TRANSLATED = (sushy_exc.SushyError, ValueError)
#: after these the cached client is not trusted again
DROP_CLIENT = (sushy_exc.AccessError, sushy_exc.ConnectionError)
