"""Does the node the conductor locked still match how the API routed the call?

The API routes from what it read (or cached): the node's driver and vendor
interface, and for a cached route the identifier, group, owner and lessee it
authorized against. The conductor checks them against the row it locks, so
a call routed from a stale read runs nothing (DESIGN: "it checks the API's
routing against the row it locks").
"""

from anvil.common import exception


def same_vendor(routing, node):
    """True when ``node`` has the driver and vendor interface the method was resolved for."""
    return (routing['driver'] == node['driver']
            and routing['vendor_interface'] == node['vendor_interface'])


def check_expected(expect, node):
    """Refuse a call routed from a cached route that no longer holds (see api/node_routes).

    :raises: NodeChanged (nothing ran) when the locked node is not known by the
        identifier the client used, moved to another conductor group, or has
        another owner or lessee than the API authorized the call against.
    """
    if not expect:
        return
    if expect['ident'] not in (node['uuid'], node['name']):
        raise exception.NodeChanged(node=expect['ident'],
                                    what='the identifier now names another node')
    if expect['conductor_group'] != node['conductor_group']:
        raise exception.NodeChanged(node=node['uuid'], what='conductor group changed')
    for field in ('owner', 'lessee'):  # absent from an older API's calls
        if field in expect and expect[field] != node.get(field):
            raise exception.NodeChanged(node=node['uuid'], what='%s changed' % field)
