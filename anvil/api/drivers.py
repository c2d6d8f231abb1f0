"""Drivers (hardware types): list and show, with the hosts that serve them."""

import flask

from anvil.api import links
from anvil.api.responses import json_response
from anvil.common import exception

bp = flask.Blueprint('drivers', __name__)


def _driver(name, topology, detail):
    out = {'name': name, 'hosts': topology.hosts_for(name), 'type': 'dynamic',
           'links': links.make_links('drivers', name),
           'properties': links.make_links('drivers', name + '/properties')}
    if detail:
        for kind, spec in sorted((topology.interfaces(name) or {}).items()):
            out['default_%s_interface' % kind] = spec['default']
            out['enabled_%s_interfaces' % kind] = spec['supported']
    return out


@bp.route('/v1/drivers', methods=['GET'])
def list_drivers():
    topology = flask.current_app.config['CONDUCTOR_API'].topology.get()
    detail = flask.request.args.get('detail', '').lower() == 'true'
    kind = flask.request.args.get('type')
    names = [] if kind == 'classic' else sorted(topology.hardware_types)
    return json_response({'drivers': [_driver(n, topology, detail) for n in names]})


@bp.route('/v1/drivers/<name>', methods=['GET'])
def show_driver(name):
    topology = flask.current_app.config['CONDUCTOR_API'].topology.get()
    if name not in topology.hardware_types:
        raise exception.DriverNotFound(driver_name=name)
    return json_response(_driver(name, topology, detail=True))
