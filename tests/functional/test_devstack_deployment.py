"""The anvil a real devstack deployed with the plugin (the Zuul job's check).

The Zuul job ``anvil-devstack-functional`` sets ANVIL_TEST_DEVSTACK_URL (and
ANVIL_TEST_DEVSTACK_CLOUD, a clouds.yaml entry, since its anvil uses
Keystone); elsewhere there is no such deployment and the test skips. The
same check runs on every CI run against the harness's stack
(test_devstack_plugin.py).
"""

import os
import uuid

import pytest

from tests.functional.devstack_harness import Target, exercise

URL = os.environ.get('ANVIL_TEST_DEVSTACK_URL')


@pytest.mark.skipif(not URL, reason='ANVIL_TEST_DEVSTACK_URL is not set: no devstack '
                                    'deployment here (the devstack Zuul job sets it)')
def test_devstack_deployment_serves_passthru():
    target = Target(URL, cloud=os.environ.get('ANVIL_TEST_DEVSTACK_CLOUD'),
                    password=os.environ.get('ANVIL_TEST_DEVSTACK_PASSWORD'))
    node = 'devstack-check-%s' % uuid.uuid4().hex[:8]
    try:
        exercise(target, node)
    finally:
        target.cli('node', 'delete', node)
