"""What the API checks of a passthru call before it routes it.

The checks come from the metadata conductors publish (the API loads no
driver): the operator's deny list, the method, its verbs and its declared
arguments. A call that fails one is refused before anything is sent, so a
202 means "valid and handed over".
"""

import flask

from anvil.api import metrics
from anvil.common import exception, passthru_deny, vendor_metadata


def node_methods(topology, node):
    """The published node methods of ``node``'s driver and vendor interface, by name.

    :raises: NoFreeConductor (503) when no live conductor serves the driver:
        one may come, so the node is not "not found".
    """
    try:
        return topology.methods(node['driver'], node['vendor_interface'], vendor_metadata.NODE)
    except exception.DriverNotFound:
        raise exception.NoFreeConductor(driver=node['driver']) from None


def check(driver, method, details, info):
    """Apply the deny list, verb and argument checks of ``method`` (its ``details``).

    ``details`` is the method's published metadata, None for an unknown
    method. Labels the request's metrics with the method once it passes.
    :raises: MethodDenied, NoHandlerForMethod, UnsupportedHTTPMethod,
        InvalidParameterValue (all 400).
    """
    passthru_deny.refuse_if_denied(driver, method)
    if details is None:
        raise exception.NoHandlerForMethod(method=method)
    verb = flask.request.method
    if verb not in details['http_methods']:
        raise exception.UnsupportedHTTPMethod(method=method, http_method=verb)
    vendor_metadata.check_args(method, details.get('args_schema'), info)
    metrics.remember_passthru(driver, method, details['async'])
