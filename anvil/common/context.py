"""The request context that rides every RPC message (request id, user)."""

from oslo_context import context as oslo_context


class RequestContext(oslo_context.RequestContext):
    """oslo.context's context; ``request_id`` is the API's ``req-…`` id."""

    @classmethod
    def from_environ_or_new(cls, environ):
        """Context of a WSGI request (RequestId middleware sets the ids)."""
        return cls(request_id=environ.get('openstack.request_id'),
                   global_request_id=environ.get('openstack.global_request_id'),
                   user_id=environ.get('HTTP_X_USER_ID'),
                   project_id=environ.get('HTTP_X_PROJECT_ID'))


def get_admin_context():
    return RequestContext(is_admin=True, overwrite=False)
