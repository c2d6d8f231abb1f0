"""The request context that rides every RPC message (request id, user, project).

oslo.log tags each log line with the current thread's context (oslo.context
keeps one per thread; making a context sets it). ``carried`` moves it along
with work handed to another thread.
"""

import functools

from oslo_context import context as oslo_context


def carried(fn):
    """``fn`` that runs under the context current where ``carried`` was called.

    For work handed to a pool (the conductor's async vendor methods): their
    log lines then carry the request id of the call that submitted them.
    """
    current = oslo_context.get_current()
    if current is None:
        return fn

    @functools.wraps(fn)
    def under_context(*args, **kwargs):
        current.update_store()
        return fn(*args, **kwargs)
    return under_context


class RequestContext(oslo_context.RequestContext):
    """oslo.context's context; ``request_id`` is the API's ``req-…`` id."""

    @classmethod
    def from_authenticated_environ(cls, environ):
        """Context of a WSGI request that passed ``anvil.api.authentication``.

        The identity comes from the headers the authentication layer set (a
        client's own were dropped). Tokens are left out: the context is sent
        to conductors with every call, and they never need one.
        """
        return cls.from_environ(environ, auth_token=None, service_token=None)

    def to_policy_values(self):
        """oslo.context's values plus ``project_name`` (Ironic's rules use it)."""
        values = super().to_policy_values()
        values['project_name'] = self.project_name
        return values
