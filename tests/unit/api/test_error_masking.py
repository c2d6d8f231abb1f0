"""Error bodies and their log lines never quote a secret of the request body."""

import json
import logging

from tests.unit.api.helpers import LATEST


def test_error_quoting_a_patch_op_masks_its_secret(client, caplog):
    """The 400 quotes the bad op; the password it sets is masked there and in the log."""
    caplog.set_level(logging.DEBUG)
    created = client.post('/v1/nodes', json={'driver': 'fake-hardware'}, headers=LATEST)
    resp = client.patch('/v1/nodes/%s' % created.get_json()['uuid'], headers=LATEST, json=[
        {'op': 'bogus', 'path': '/driver_info/fake_password', 'value': 'patch-pw-1234'}])
    assert resp.status_code == 400
    fault = json.loads(resp.get_json()['error_message'])
    assert "'value': '******'" in fault['faultstring']
    assert 'patch-pw-1234' not in resp.get_data(as_text=True)
    assert 'Invalid patch operation' in caplog.text and 'patch-pw-1234' not in caplog.text


def test_node_field_secrets_are_masked_at_any_depth(client):
    info = {'fake_password': 'pw-abcdef', 'fake_username': 'admin',
            'nested': {'HttpHeaders': [{'Authorization': 'Bearer x'}], 'api_token': 't'}}
    created = client.post('/v1/nodes', json={'driver': 'fake-hardware', 'driver_info': info},
                          headers=LATEST)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()['driver_info'] == {
        'fake_password': '******', 'fake_username': 'admin',
        'nested': {'HttpHeaders': '******', 'api_token': '******'}}
