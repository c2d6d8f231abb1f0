"""BMC failures become anvil errors with the BMC's message and a code that says what to do."""

import json

import pytest
import requests
from sushy import exceptions as sushy_exc

from anvil.common import exception
from anvil.drivers.redfish import errors

TIMEOUTS = (1.0, 2.0)


def _response(status, body=None):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b'<html>'
    return response


def _redfish(message):
    return {'error': {'code': 'Base.1.15.0.GeneralError', 'message': 'general',
                      '@Message.ExtendedInfo': [{'MessageId': 'Base.1.15.0.X',
                                                 'Message': message,
                                                 'Severity': 'Warning'}]}}


def _translate(exc):
    result = errors.translate(exc, 'get_subscription', 'node n1, BMC http://bmc', TIMEOUTS)
    assert isinstance(result, exception.DriverOperationError)
    return result.code, str(result)


def _http(status, message='the BMC says no'):
    return sushy_exc.raise_for_response('GET', 'http://bmc/redfish/v1/x',
                                        _response(status, _redfish(message)))


@pytest.mark.parametrize('status, code, words', [
    (404, 404, 'not found on the BMC'),
    (400, 400, 'refused the request'),
    (401, 502, 'refused the credentials'),
    (403, 502, 'refused the credentials'),
    (500, 502, 'answered HTTP 500'),
    (409, 502, 'answered HTTP 409'),
])
def test_http_errors_keep_the_bmc_message(status, code, words):
    with pytest.raises(sushy_exc.HTTPError) as e:
        _http(status)
    got_code, message = _translate(e.value)
    assert got_code == code
    assert words in message and 'the BMC says no' in message
    assert message.startswith('Vendor method get_subscription failed: node n1, BMC http://bmc')


def _connection_error(cause):
    try:
        try:
            raise cause
        except requests.exceptions.RequestException as inner:
            raise sushy_exc.ConnectionError(url='http://bmc/redfish/v1/', error=inner)  # noqa: B904 - sushy's own shape
    except sushy_exc.ConnectionError as e:
        return e


def test_read_timeout_is_504_it_may_have_acted():
    code, message = _translate(_connection_error(requests.exceptions.ReadTimeout('slow')))
    assert code == 504 and 'did not answer within 2.0 s' in message


def test_refused_or_connect_timeout_is_503_nothing_happened():
    code, message = _translate(_connection_error(
        requests.exceptions.ConnectionError('Connection refused')))
    assert code == 503 and 'unreachable: Connection refused' in message
    code, message = _translate(_connection_error(requests.exceptions.ConnectTimeout('x')))
    assert code == 503 and 'no connection within 1.0 s' in message


def test_missing_service_is_400():
    code, message = _translate(sushy_exc.MissingAttributeError(
        attribute='EventService/@odata.id', resource='/redfish/v1/'))
    assert code == 400 and 'does not offer it' in message and 'EventService' in message


def test_several_systems_without_system_id_is_400():
    code, message = _translate(sushy_exc.UnknownDefaultError(
        entity='ComputerSystem', error='System count is not exactly one'))
    assert code == 400 and 'redfish_system_id' in message


def test_not_json_is_502():
    code, message = _translate(ValueError('Expecting value: line 1 column 1'))
    assert code == 502 and 'not Redfish JSON' in message


def test_code_survives_the_rpc_round_trip_form():
    """oslo.messaging rebuilds remote exceptions as cls(message, **kwargs)."""
    with pytest.raises(sushy_exc.HTTPError) as e:
        _http(404)
    original = errors.translate(e.value, 'm', 'BMC x', TIMEOUTS)
    rebuilt = exception.DriverOperationError(str(original), **original.kwargs)
    assert (rebuilt.code, str(rebuilt)) == (404, str(original))


def test_auth_and_connection_failures_drop_the_client():
    assert issubclass(sushy_exc.AccessError, errors.DROP_CLIENT)
    assert issubclass(sushy_exc.ConnectionError, errors.DROP_CLIENT)
    assert not issubclass(sushy_exc.ResourceNotFoundError, errors.DROP_CLIENT)


def test_http_errors_while_logging_in_are_never_404():
    """A BMC without a SessionService answers 404 to a login: that is no "not found"."""
    with pytest.raises(sushy_exc.HTTPError) as e:
        _http(404)
    result = errors.translate(e.value, 'm', 'BMC x', TIMEOUTS, login=True)
    assert result.code == 502 and 'the login failed (HTTP 404' in str(result)
