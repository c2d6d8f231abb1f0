"""The example vendor interface: a chassis indicator light, with no real chassis.

Each method shows one thing a driver author decides: the HTTP verbs, sync or
async, the node lock it needs, and the arguments it accepts (``args_schema``,
checked by the API before anything is routed: a bad call is a 400 and reaches
no conductor).
"""

import threading

from anvil.common import exception
from anvil.drivers import base

_STATES = ('off', 'on', 'blinking')
_SET_ARGS = {'type': 'object', 'required': ['state'], 'additionalProperties': False,
             'properties': {'state': {'enum': list(_STATES)}}}
_NO_ARGS = {'type': 'object', 'additionalProperties': False}


class ExampleVendor(base.VendorInterface):
    name = 'example'

    def __init__(self):
        self._lights = {}  # {node uuid: state}: a real driver asks the hardware
        self._guard = threading.Lock()

    @base.passthru(['POST'], async_call=False, args_schema=_SET_ARGS,
                   description='Set the indicator light: off, on or blinking.')
    def set_indicator(self, task, http_method, state):
        with self._guard:
            previous = self._lights.get(task.node['uuid'], 'off')
            self._lights[task.node['uuid']] = state
        return {'state': state, 'previous': previous}

    @base.passthru(['GET'], async_call=False, require_exclusive_lock=False,
                   args_schema=_NO_ARGS, description='The indicator light, as last set.')
    def get_indicator(self, task, http_method):
        with self._guard:
            return {'state': self._lights.get(task.node['uuid'], 'off')}

    @base.passthru(['POST'], async_call=True, args_schema=_NO_ARGS,
                   description='Switch the light off, in the background (202).')
    def reset_indicator(self, task, http_method):
        with self._guard:
            self._lights.pop(task.node['uuid'], None)
        return True

    @base.driver_passthru(['GET'], async_call=False, args_schema=_NO_ARGS,
                          description='The indicator states this hardware knows.')
    def indicator_states(self, context, http_method):
        return list(_STATES)

    def validate(self, task, method, **kwargs):
        """Checks a schema cannot express: here, the chassis must have an address."""
        if not task.node['driver_info'].get('example_address'):
            raise exception.InvalidParameterValue(
                err='Node %s has no example_address in driver_info' % task.node['uuid'])
