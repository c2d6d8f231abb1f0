"""``[api] passthru_deny``: vendor methods the operator switched off.

Checked by the API (400 before anything is routed) and again by the
conductor, so a message that reaches a conductor by another path (an older
API, a hand-made RPC message) still runs nothing.
"""

from anvil.common import exception
from anvil.common.config import CONF


def refuse_if_denied(driver, method):
    """Raises MethodDenied (400) when ``method`` of ``driver`` is on the deny list."""
    denied = CONF.api.passthru_deny
    if denied and ('%s:%s' % (driver, method) in denied or '*:%s' % method in denied):
        raise exception.MethodDenied(method=method, driver=driver)
