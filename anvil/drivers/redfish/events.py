"""Redfish event subscriptions (EventService/Subscriptions) on one BMC.

Works on a sushy service root; sushy errors are left to the caller
(``connection.Bmcs.session`` translates them). A subscription is shown as
the five keys Ironic shows — never ``HttpHeaders``, which may hold secrets.
"""

from sushy import exceptions as sushy_exc

SHOWN = ('Id', 'Destination', 'EventTypes', 'Context', 'Protocol')
DEFAULT_EVENT_TYPES = ('Alert',)


def _subscriptions(root):
    """The BMC's EventDestination collection. Raises MissingAttributeError."""
    return root.get_event_service().subscriptions


def _shown(subscription):
    return {'Id': subscription.identity, 'Destination': subscription.destination,
            'EventTypes': subscription.event_types, 'Context': subscription.context,
            'Protocol': subscription.protocol}


def payload(Destination, EventTypes=None, Context=None, Protocol=None,  # noqa: N803
            HttpHeaders=None):  # noqa: N803 - Redfish property names
    """The POST body for a new subscription, with Ironic's defaults."""
    body = {'Destination': Destination,
            'EventTypes': list(EventTypes or DEFAULT_EVENT_TYPES),
            'Context': Context or '', 'Protocol': Protocol or 'Redfish'}
    if HttpHeaders:
        body['HttpHeaders'] = HttpHeaders
    return body


def create(root, body):
    """Create a subscription; its five shown keys as the BMC stored it.

    Raises sushy HTTPError (the BMC refused it), MissingAttributeError (no
    EventService), SushyError when the BMC answered without a Location.
    """
    created = _subscriptions(root).create(body)
    if created is None:
        raise sushy_exc.SushyError(
            'the BMC did not answer 201 Created with a Location for the new subscription')
    return _shown(created)


def _member(root, subscription_id):
    """The EventDestination ``subscription_id``. Raises ResourceNotFoundError."""
    collection = _subscriptions(root)
    return collection.get_member('%s/%s' % (collection.path.rstrip('/'), subscription_id))


def get(root, subscription_id):
    """One subscription's five shown keys. Raises ResourceNotFoundError."""
    return _shown(_member(root, subscription_id))


def get_all(root):
    """The BMC's subscription collection document, as the BMC wrote it."""
    return _subscriptions(root).json


def delete(root, subscription_id):
    """Delete one subscription. Raises ResourceNotFoundError for an unknown id."""
    _member(root, subscription_id).delete()
