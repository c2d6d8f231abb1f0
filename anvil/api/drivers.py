"""Drivers (hardware types): list, show and properties, with the hosts that serve them.

As Ironic's: a driver is listed while a live conductor serves it; ``hosts``
are those conductors. From 1.30 a driver has ``type`` ("dynamic") and, in
detail (show, or list with ``detail=True``), the default and enabled
interfaces of every kind, ``vendor`` included, so a client sees which
vendor interfaces (and so which passthru methods) the driver offers.
"""

import flask

from anvil.api import links, microversion, policy
from anvil.api.query_args import boolean, check_known, split_fields
from anvil.api.responses import json_response
from anvil.common import exception
from anvil.db.models import INTERFACE_FIELDS

bp = flask.Blueprint('drivers', __name__)

KINDS = tuple(f[:-len('_interface')] for f in INTERFACE_FIELDS)
#: Interface kinds Ironic shows on drivers only from a version on.
_KIND_SINCE = {'storage': (1, 33), 'rescue': (1, 38), 'bios': (1, 40), 'firmware': (1, 86)}
_LIST_FIELDS = ('name', 'hosts', 'links', 'properties', 'type')
DETAIL_FIELDS = _LIST_FIELDS + tuple(
    f for k in KINDS for f in ('default_%s_interface' % k, 'enabled_%s_interfaces' % k))


def _topology():
    return flask.current_app.config['CONDUCTOR_API'].topology.get()


def _kinds():
    return [k for k in KINDS if microversion.at_least(_KIND_SINCE.get(k, (1, 1)))]


def _driver(name, topology, detail):
    out = {'name': name, 'hosts': topology.hosts_for(name),
           'links': links.make_links('drivers', name)}
    if microversion.at_least(microversion.DRIVER_PROPERTIES_LINK):
        out['properties'] = links.make_links('drivers', name + '/properties')
    if not microversion.at_least(microversion.DYNAMIC_DRIVERS):
        return out
    out['type'] = 'dynamic'
    if detail:
        interfaces = topology.interfaces(name) or {}
        for kind in _kinds():
            spec = interfaces.get(kind, {})
            out['default_%s_interface' % kind] = spec.get('default')
            out['enabled_%s_interfaces' % kind] = list(spec.get('supported', []))
    return out


def _fields():
    """``fields=`` (API 1.77 on) as a tuple, or None; 400 for a name drivers lack."""
    raw = flask.request.args.get('fields')
    if raw is None:
        return None
    microversion.require(microversion.DRIVER_FIELDS_SELECTOR,
                         'The "fields" query parameter on drivers')
    return split_fields(raw, DETAIL_FIELDS)


def _select(driver, fields):
    if fields is None:
        return driver
    return {k: v for k, v in driver.items() if k in fields or k == 'links'}


def _list_args():
    check_known(flask.request.args, ('type', 'detail', 'fields'))
    args = flask.request.args
    kind, raw_detail = args.get('type'), args.get('detail')
    for name in ('type', 'detail'):
        if name in args:
            microversion.require(microversion.DYNAMIC_DRIVERS, 'The "%s" query parameter' % name)
    if kind not in (None, 'classic', 'dynamic'):
        raise exception.InvalidParameterValue(
            err='"type" filter must be one of "classic" or "dynamic", if specified.')
    detail = raw_detail is not None and boolean('detail', raw_detail)
    fields = _fields()
    if fields and detail:
        raise exception.InvalidParameterValue(
            err='Can not specify ?detail=True and fields in the same request.')
    return kind, detail, fields


@bp.route('/v1/drivers', methods=['GET'])
def list_drivers():
    policy.authorize('baremetal:driver:get', flask.g.context)
    kind, detail, fields = _list_args()
    topology = _topology()
    names = [] if kind == 'classic' else sorted(topology.hardware_types)
    return json_response({'drivers': [_select(_driver(n, topology, detail or bool(fields)),
                                              fields) for n in names]})


@bp.route('/v1/drivers/<name>', methods=['GET'])
def show_driver(name):
    policy.authorize('baremetal:driver:get', flask.g.context)
    check_known(flask.request.args, ('fields',))
    fields = _fields()
    topology = _topology()
    if name not in topology.hardware_types:
        raise exception.DriverNotFound(driver_name=name)
    return json_response(_select(_driver(name, topology, detail=True), fields))


@bp.route('/v1/drivers/<name>/properties', methods=['GET'])
def driver_properties(name):
    policy.authorize('baremetal:driver:get', flask.g.context)
    """``baremetal driver property list``: the driver_info keys the driver reads."""
    topology = _topology()
    if name not in topology.hardware_types:
        raise exception.DriverNotFound(driver_name=name)
    schema = topology.driver_info_schema(name) or {}
    required = set(schema.get('required', ()))
    return json_response({key: _describe(spec, key in required)
                          for key, spec in sorted(schema.get('properties', {}).items())})


def _describe(spec, required):
    text = spec.get('description')
    if not text:
        choices = spec.get('enum')
        kinds = spec.get('type', 'any')
        text = ('one of: %s' % ', '.join(map(str, choices)) if choices else
                'a %s' % (' or '.join(kinds) if isinstance(kinds, list) else kinds))
    text = text[0].upper() + text[1:]
    return '%s. %s' % (text.rstrip('.'), 'Required.' if required else 'Optional.')
