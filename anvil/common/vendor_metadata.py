"""What conductors publish about vendor methods and hardware types, and the checks on it.

Conductors publish each vendor method's metadata (with an ``args_schema``, a
small JSON Schema) and each hardware type's ``driver_info_schema`` to the
database. The API applies those schemas before it routes anything, and the
conductor applies the same ones again before it runs a method. Both import
this module, so the API never loads driver code (``anvil/drivers``).

Messages are built from jsonschema's structured error fields, never by
parsing its message text, and stay short whatever the request holds: a body
with 70,000 unknown keys names a few of them and the count of the rest.
"""

import re

import jsonschema

from anvil.common import exception

#: method kinds: node methods run under the node's lock, driver methods need no node
NODE = 'node'
DRIVER = 'driver'
#: key under which a hardware type publishes its ``driver_info_schema``
DRIVER_INFO_SCHEMA = 'driver_info_schema'

#: unexpected argument names quoted in a message before "… and N more"
_NAMES_SHOWN = 3
#: characters of a quoted name or value before it is cut with "…"
_QUOTE_CHARS = 40
#: characters of a message of jsonschema's own (other validators) before it is cut
_MESSAGE_CHARS = 200


def _cut(text, limit):
    return text if len(text) <= limit else text[:limit - 1] + '…'


def _quote(value):
    """``repr`` of a name or value, cut to a length a message can carry."""
    return _cut(repr(value), _QUOTE_CHARS)


def _unexpected_names(error):
    """Keys of the object that neither ``properties`` nor ``patternProperties`` allow."""
    allowed = error.schema.get('properties', {})
    patterns = list(error.schema.get('patternProperties', {}))
    return [key for key in error.instance
            if key not in allowed and not any(re.search(p, key) for p in patterns)]


def _unexpected(names):
    shown = ', '.join(_quote(n) for n in names[:_NAMES_SHOWN])
    rest = len(names) - _NAMES_SHOWN
    if rest > 0:
        shown += f' … and {rest:,} more'
    return 'Additional properties are not allowed (%s %s unexpected)' % (
        shown, 'was' if len(names) == 1 else 'were')


def _problem(error):
    """What is wrong with the arguments, in a message of bounded length."""
    if error.validator == 'additionalProperties' and isinstance(error.instance, dict):
        return _unexpected(_unexpected_names(error))
    if error.validator == 'type':
        types = error.validator_value
        types = [types] if isinstance(types, str) else types
        return '%s is not of type %s' % (_quote(error.instance),
                                         ', '.join(repr(t) for t in types))
    return _cut(error.message, _MESSAGE_CHARS)


def _first_error(schema, document):
    return jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(schema).iter_errors(document))


def _missing(error):
    """The first required name absent from the object."""
    return next(name for name in error.validator_value if name not in error.instance)


def check_args(method_name, schema, args):
    """Apply a method's ``args_schema`` (None or empty: nothing to check) to its arguments.

    :raises InvalidParameterValue: naming the offending field, in Ironic's
        words for a missing parameter.
    """
    if not schema:
        return
    error = _first_error(schema, args)
    if error is None:
        return
    if error.validator == 'required' and isinstance(error.instance, dict):
        raise exception.InvalidParameterValue(
            err="Parameter %s not passed to method '%s'." % (_quote(_missing(error)),
                                                            method_name))
    where = '.'.join(str(p) for p in error.absolute_path)
    raise exception.InvalidParameterValue(
        err='Invalid argument %sfor method %s: %s' % (
            '%s ' % _quote(where) if where else '', method_name, _problem(error)))


def _driver_info_problem(error):
    """What is wrong, without quoting the value (it may be a password)."""
    if error.validator == 'type':
        return 'must be of type %s' % ' or '.join(
            [error.validator_value] if isinstance(error.validator_value, str)
            else error.validator_value)
    if error.validator == 'enum':
        return 'must be one of %s' % ', '.join(str(v) for v in error.validator_value)
    if error.validator == 'required' and isinstance(error.instance, dict):
        missing = [key for key in error.validator_value if key not in error.instance]
        return 'missing %s' % ', '.join(missing)
    return 'must be %s' % error.schema.get('description', 'valid (%s)' % error.validator)


def check_driver_info(driver, schema, info):
    """Apply a hardware type's ``driver_info_schema`` (None: nothing to check).

    :raises InvalidParameterValue: naming the offending key; the message
        never quotes the value, which may be a secret.
    """
    if not schema:
        return
    error = _first_error(schema, info)
    if error is not None:
        where = '.'.join(str(p) for p in error.absolute_path)
        raise exception.InvalidParameterValue(
            err='Invalid driver_info%s for driver %s: %s' % (
                ' %s' % _quote(where) if where else '', driver, _driver_info_problem(error)))
