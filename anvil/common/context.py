"""The request context that rides every RPC message (request id, user, project)."""

from oslo_context import context as oslo_context


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
