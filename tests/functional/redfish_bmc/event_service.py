"""An in-memory EventService for the sushy-tools emulator (which has none).

Shapes and status codes follow the Redfish specification (DSP0266, DSP8010
EventService v1_10 / EventDestination v1_13): POST to the Subscriptions
collection answers 201 with a Location header and the new resource;
unknown members 404; DELETE answers 204. The service validates what a real
BMC validates: Destination must be an http(s) URI, EventTypes must be ones
it offers, Protocol must be Redfish. HttpHeaders are kept but, as the
specification requires, never shown (an empty array in responses).
"""

import itertools
import threading
import urllib.parse

import flask

from tests.functional.redfish_bmc import redfish_errors

ROOT = '/redfish/v1/EventService'
SUBSCRIPTIONS = ROOT + '/Subscriptions'
EVENT_TYPES = ['StatusChange', 'ResourceUpdated', 'ResourceAdded', 'ResourceRemoved',
               'Alert']

bp = flask.Blueprint('anvil_event_service', __name__)
_lock = threading.Lock()
_ids = itertools.count(1)
_subscriptions = {}


def _service():
    return {
        '@odata.type': '#EventService.v1_10_0.EventService',
        '@odata.id': ROOT, 'Id': 'EventService', 'Name': 'Event Service',
        'ServiceEnabled': True, 'DeliveryRetryAttempts': 3,
        'DeliveryRetryIntervalSeconds': 60,
        'EventTypesForSubscription': EVENT_TYPES,
        'Status': {'State': 'Enabled', 'Health': 'OK'},
        'Subscriptions': {'@odata.id': SUBSCRIPTIONS},
        'Actions': {'#EventService.SubmitTestEvent': {
            'target': ROOT + '/Actions/EventService.SubmitTestEvent'}},
    }


def _shown(sub):
    return dict(sub, HttpHeaders=[])


@bp.route(ROOT, methods=['GET'])
def event_service():
    return flask.jsonify(_service())


@bp.route(SUBSCRIPTIONS, methods=['GET'])
def subscriptions():
    with _lock:
        members = [{'@odata.id': sub['@odata.id']} for sub in _subscriptions.values()]
    return flask.jsonify({
        '@odata.type': '#EventDestinationCollection.EventDestinationCollection',
        '@odata.id': SUBSCRIPTIONS, 'Name': 'Event Subscriptions Collection',
        'Members@odata.count': len(members), 'Members': members})


def _invalid(body):
    """A Redfish 400 response for a bad subscription request, or None."""
    destination = body.get('Destination')
    if not destination:
        return redfish_errors.error(400, 'PropertyMissing',
                                    'The property Destination is a required property and '
                                    'must be included in the request.', ['#/Destination'])
    parsed = urllib.parse.urlsplit(str(destination))
    if parsed.scheme not in ('http', 'https') or not parsed.netloc:
        return redfish_errors.error(400, 'PropertyValueFormatError',
                                    'The value %s for the property Destination is of a '
                                    'different format than the property can accept.'
                                    % destination, ['#/Destination'])
    for event_type in body.get('EventTypes') or []:
        if event_type not in EVENT_TYPES:
            return redfish_errors.error(400, 'PropertyValueNotInList',
                                        'The value %s for the property EventTypes is not '
                                        'in the list of acceptable values.' % event_type,
                                        ['#/EventTypes'])
    if body.get('Protocol', 'Redfish') != 'Redfish':
        return redfish_errors.error(400, 'PropertyValueNotInList',
                                    'The value %s for the property Protocol is not in the '
                                    'list of acceptable values.' % body['Protocol'],
                                    ['#/Protocol'])
    return None


@bp.route(SUBSCRIPTIONS, methods=['POST'])
def create_subscription():
    body = flask.request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return redfish_errors.error(400, 'MalformedJSON',
                                    'The request body submitted was malformed JSON.')
    refused = _invalid(body)
    if refused is not None:
        return refused
    with _lock:
        sub_id = str(next(_ids))
        path = '%s/%s' % (SUBSCRIPTIONS, sub_id)
        sub = {'@odata.type': '#EventDestination.v1_13_0.EventDestination',
               '@odata.id': path, 'Id': sub_id, 'Name': 'Event Subscription %s' % sub_id,
               'Destination': body['Destination'],
               'EventTypes': body.get('EventTypes') or ['Alert'],
               'Context': body.get('Context', ''), 'Protocol': 'Redfish',
               'SubscriptionType': 'RedfishEvent',
               '_http_headers': body.get('HttpHeaders') or []}
        _subscriptions[sub_id] = sub
    response = flask.jsonify(_shown(_public(sub)))
    response.status_code = 201
    response.headers['Location'] = path
    return response


def _public(sub):
    return {k: v for k, v in sub.items() if not k.startswith('_')}


@bp.route(SUBSCRIPTIONS + '/<sub_id>', methods=['GET', 'DELETE'])
def subscription(sub_id):
    with _lock:
        sub = (_subscriptions.pop(sub_id, None) if flask.request.method == 'DELETE'
               else _subscriptions.get(sub_id))
    if sub is None:
        return redfish_errors.not_found(flask.request.path)
    if flask.request.method == 'DELETE':
        return '', 204
    return flask.jsonify(_shown(_public(sub)))


def stored_headers():
    """{Id: HttpHeaders} as POSTed: proof they reached the BMC without being shown."""
    with _lock:
        return {k: v['_http_headers'] for k, v in _subscriptions.items()}
