"""Query-string helpers shared by the resource handlers: booleans, ``fields``, unknown keys."""

from oslo_utils import strutils

from anvil.common import exception


def boolean(name, raw):
    """``raw`` as a bool (true/false, 1/0, yes/no, on/off); 400 otherwise."""
    try:
        return strutils.bool_from_string(raw, strict=True)
    except ValueError:
        raise exception.InvalidParameterValue(
            err='Invalid boolean value for %s: %s' % (name, raw)) from None


def split_fields(raw, valid):
    """``a,b`` → ('a', 'b'), duplicates dropped; 400 naming any not in ``valid``."""
    fields = tuple(dict.fromkeys(f.strip() for f in raw.split(',') if f.strip()))
    unknown = sorted(set(fields) - set(valid))
    if unknown:
        raise exception.InvalidParameterValue(
            err='Field(s) "%s" are not valid' % ', '.join(unknown))
    return fields


def check_known(args, allowed, what=''):
    """400 naming the query parameters not in ``allowed`` (a typo must not be ignored)."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise exception.InvalidParameterValue(
            err='Unknown query parameter(s)%s: %s' % (what, ', '.join(unknown)))
