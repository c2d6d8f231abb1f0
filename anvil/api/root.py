"""Version discovery: ``/`` and ``/v1`` (with and without the trailing slash)."""

import flask

from anvil.api import links, microversion
from anvil.api.responses import json_response

bp = flask.Blueprint('root', __name__)


def _version_doc():
    url = links.base_url()
    return {'id': 'v1', 'links': [{'href': '%s/v1/' % url, 'rel': 'self'}],
            'status': 'CURRENT', 'min_version': microversion.as_string(microversion.MIN_VERSION),
            'version': microversion.as_string(microversion.MAX_VERSION)}


@bp.route('/', methods=['GET'])
def root():
    version = _version_doc()
    return json_response({
        'name': 'anvil', 'description': 'anvil is a bare metal vendor passthru service '
                                        'speaking the OpenStack Bare Metal API.',
        'default_version': version, 'versions': [version]})


@bp.route('/v1', methods=['GET'], strict_slashes=False)
def v1():
    url = links.base_url()
    doc = {'id': 'v1', 'version': _version_doc(),
           'media_types': [{'base': 'application/json',
                            'type': 'application/vnd.openstack.ironic.v1+json'}],
           'links': [{'href': '%s/v1/' % url, 'rel': 'self'}]}
    for resource in ('nodes', 'drivers', 'conductors'):
        doc[resource] = links.make_links(resource, '')
    return json_response(doc)
