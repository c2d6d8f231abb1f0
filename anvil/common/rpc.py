"""oslo.messaging setup: transport, RPC client, RPC server, context serializer.

The transport is created lazily per process (never before a fork) with
``allowed_remote_exmods`` so conductor exceptions arrive as their own classes.
"""

import os
import threading

import oslo_messaging
from oslo_messaging import serializer as om_serializer
from oslo_messaging.rpc import server as rpc_server

from anvil.common import call_monitor
from anvil.common.config import CONF
from anvil.common.context import RequestContext

EXMODS = ['anvil.common.exception']
RPC_API_VERSION = '1.0'

_lock = threading.Lock()
_transport = {'pid': None, 'transport': None}


class RequestContextSerializer(om_serializer.Serializer):
    """Sends the context as a dict; rebuilds an anvil RequestContext on arrival."""

    def serialize_entity(self, ctxt, entity):
        return entity

    def deserialize_entity(self, ctxt, entity):
        return entity

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        ctxt = dict(ctxt)
        ctxt.pop('client_timeout', None)
        return RequestContext.from_dict(ctxt)


def get_transport():
    """This process's RPC transport (re-created after a fork)."""
    pid = os.getpid()
    if _transport['pid'] != pid:
        with _lock:
            if _transport['pid'] != pid:
                _transport['transport'] = oslo_messaging.get_rpc_transport(
                    CONF, allowed_remote_exmods=EXMODS)
                _transport['pid'] = pid
    return _transport['transport']


def cleanup():
    """Close this process's transport (shutdown, tests)."""
    with _lock:
        if _transport['transport'] is not None and _transport['pid'] == os.getpid():
            _transport['transport'].cleanup()
        _transport.update(pid=None, transport=None)


def conductor_topic():
    return CONF.conductor.topic


def get_client():
    target = oslo_messaging.Target(topic=conductor_topic(), version=RPC_API_VERSION)
    return oslo_messaging.get_rpc_client(get_transport(), target,
                                         serializer=RequestContextSerializer())


def get_server(host, endpoints):
    """An RPC server for ``host`` on the conductor topic (threading executor).

    Built as ``oslo_messaging.get_rpc_server`` builds it, but with the
    dispatcher of ``call_monitor`` (no thread per call for heartbeats).
    """
    target = oslo_messaging.Target(topic=conductor_topic(), server=host,
                                   version=RPC_API_VERSION)
    dispatcher = call_monitor.CallMonitorDispatcher(endpoints, RequestContextSerializer(),
                                                    None)
    return rpc_server.RPCServer(get_transport(), target, dispatcher)
