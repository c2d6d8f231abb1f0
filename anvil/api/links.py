"""Resource links (self and bookmark) as Ironic writes them."""

import flask

from anvil.common.config import CONF


def base_url():
    if CONF.api.public_endpoint:
        return CONF.api.public_endpoint.rstrip('/')
    # root_url: the host and any prefix the app is mounted under (X-Forwarded-Prefix)
    return flask.request.root_url.rstrip('/')


def make_links(resource, ident):
    url = base_url()
    return [{'href': '%s/v1/%s/%s' % (url, resource, ident), 'rel': 'self'},
            {'href': '%s/%s/%s' % (url, resource, ident), 'rel': 'bookmark'}]
