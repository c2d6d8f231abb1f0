"""What a hardware type is, and how vendor methods declare themselves.

A vendor method is a method of a ``VendorInterface`` subclass decorated with
``@passthru`` (node methods, run under the node's lock) or ``@driver_passthru``
(driver methods: no node, no lock). The decorator stores a frozen
``MethodInfo`` on the function; ``__init_subclass__`` collects them once per
class. Conductors publish ``MethodInfo.details()`` to the database so the API
can check verbs and arguments (``args_schema``, a small JSON Schema) before it
routes anything, with ``anvil.common.vendor_metadata`` (no driver code in the API).
"""

import dataclasses

import jsonschema

from anvil.common import exception
from anvil.common.vendor_metadata import DRIVER, DRIVER_INFO_SCHEMA, NODE


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    name: str
    scope: str
    http_methods: tuple
    async_call: bool
    description: str
    attach: bool
    require_exclusive_lock: bool
    args_schema: dict | None

    def details(self):
        """The JSON document published to the DB and listed by the API."""
        return {'http_methods': list(self.http_methods), 'async': self.async_call,
                'description': self.description, 'attach': self.attach,
                'require_exclusive_lock': self.require_exclusive_lock,
                'args_schema': self.args_schema}


def _decorator(scope, http_methods, async_call, description, attach,
               require_exclusive_lock, args_schema):
    if args_schema is not None:
        jsonschema.Draft7Validator.check_schema(args_schema)

    def wrap(func):
        func._anvil_passthru = MethodInfo(
            name=func.__name__, scope=scope,
            http_methods=tuple(m.upper() for m in http_methods or ('POST',)),
            async_call=async_call, description=description or '', attach=attach,
            require_exclusive_lock=require_exclusive_lock, args_schema=args_schema)
        return func
    return wrap


def passthru(http_methods, async_call=True, description='', attach=False,
             require_exclusive_lock=True, args_schema=None):
    """Declare a node vendor method: ``method(self, task, http_method, **kwargs)``."""
    return _decorator(NODE, http_methods, async_call, description, attach,
                      require_exclusive_lock, args_schema)


def driver_passthru(http_methods, async_call=True, description='', attach=False,
                    args_schema=None):
    """Declare a driver vendor method: ``method(self, context, http_method, **kwargs)``."""
    return _decorator(DRIVER, http_methods, async_call, description, attach,
                      False, args_schema)


def required_args(*names, **properties):
    """A JSON Schema for an object that must carry ``names`` (any extra keys allowed).

    For driver authors (docs/driver-guide.md).
    """
    props = {name: properties.get(name, {}) for name in names}
    props.update({k: v for k, v in properties.items() if k not in props})
    return {'type': 'object', 'required': list(names), 'properties': props}


class VendorInterface:
    """Base of vendor interfaces; subclasses declare methods with the decorators."""

    #: name of this interface in a node's ``vendor_interface`` field
    name = None
    #: {scope: {method name: (function name, MethodInfo)}}, built per class
    _methods = {NODE: {}, DRIVER: {}}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        methods = {NODE: {}, DRIVER: {}}
        for attr in dir(cls):
            info = getattr(getattr(cls, attr, None), '_anvil_passthru', None)
            if isinstance(info, MethodInfo):
                methods[info.scope][info.name] = info
        cls._methods = methods

    def methods(self, scope):
        """{name: MethodInfo} of node (``NODE``) or driver (``DRIVER``) methods."""
        return self._methods[scope]

    def validate(self, task, method, **kwargs):
        """Driver-specific checks beyond ``args_schema``; raise InvalidParameterValue."""

    def stop(self):
        """The conductor is stopping: release what this interface holds (e.g. sessions)."""


class HardwareType:
    """A bundle of interfaces. Subclasses name the vendor interfaces they offer."""

    #: {vendor interface name: VendorInterface subclass}; the first is the default
    vendor_interfaces = {}
    #: other interface kinds: {kind: [supported names]}, the first is the default
    other_interfaces = {}
    #: JSON Schema the API applies to ``driver_info`` on create and update, or None
    driver_info_schema = None

    def __init__(self, name):
        self.name = name
        self._vendors = {iface: cls() for iface, cls in self.vendor_interfaces.items()}

    @property
    def default_vendor_interface(self):
        return next(iter(self.vendor_interfaces))

    def vendor(self, interface_name=None):
        """The VendorInterface instance for ``interface_name`` (None → default).

        Raises InvalidParameterValue for an interface this type does not offer.
        """
        name = interface_name or self.default_vendor_interface
        try:
            return self._vendors[name]
        except KeyError:
            raise exception.InvalidParameterValue(
                err='Hardware type %s does not support vendor interface %s'
                    % (self.name, name)) from None

    def interfaces(self):
        """{kind: {"default": name, "supported": [names]}} as published to the DB.

        With a ``driver_info_schema``, it rides along under ``DRIVER_INFO_SCHEMA``
        (``Topology.interfaces`` leaves it out, ``driver_info_schema`` reads it).
        """
        kinds = dict(self.other_interfaces, vendor=list(self.vendor_interfaces))
        published = {kind: {'default': names[0], 'supported': list(names)}
                     for kind, names in kinds.items()}
        if self.driver_info_schema:
            published[DRIVER_INFO_SCHEMA] = self.driver_info_schema
        return published

    def stop(self):
        """The conductor is stopping, its methods have finished: stop every interface."""
        for vendor in self._vendors.values():
            vendor.stop()

    def published_methods(self):
        """Rows for ``vendor_methods``: every method of every vendor interface."""
        rows = []
        for iface, vendor in self._vendors.items():
            for scope in (NODE, DRIVER):
                for name, info in vendor.methods(scope).items():
                    rows.append({'hardware_type': self.name, 'vendor_interface': iface,
                                 'scope': scope, 'name': name, 'details': info.details()})
        return rows
