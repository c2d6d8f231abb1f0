"""Resource links (self and bookmark) as Ironic writes them."""

import flask

from anvil.common.config import CONF


def base_url():
    if CONF.api.public_endpoint:
        return CONF.api.public_endpoint.rstrip('/')
    return flask.request.host_url.rstrip('/')


def make_links(resource, ident):
    url = base_url()
    return [{'href': '%s/v1/%s/%s' % (url, resource, ident), 'rel': 'self'},
            {'href': '%s/%s/%s' % (url, resource, ident), 'rel': 'bookmark'}]
