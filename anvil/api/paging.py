"""Paging of lists as Ironic pages them: ``limit``, ``sort_key``/``sort_dir``, ``next``.

Shared by the node and conductor lists; each names its own sort keys and
what its marker is (a node's UUID, a conductor's hostname).
"""

import urllib.parse

import flask

from anvil.api import links
from anvil.common import exception

#: The largest page; a larger ``limit`` is cut to it (a LIMIT past 64 bits is a DB error).
MAX_LIMIT = 1000


def limit(raw):
    """The page size from ``?limit=`` (None: the largest page).

    :raises InvalidParameterValue: not an integer, or not positive.
    """
    if raw is None:
        return MAX_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise exception.InvalidParameterValue(
            err='Invalid limit: %s (an integer is expected)' % raw) from None
    if value <= 0:
        raise exception.InvalidParameterValue(err='Limit must be positive')
    return min(value, MAX_LIMIT)


def check_sort(key, direction, keys, sorts_by):
    """Refuse a ``sort_dir`` other than asc/desc or a ``sort_key`` not in ``keys``.

    ``sorts_by`` starts the list of keys in the message ("conductors sort by").
    :raises InvalidParameterValue: naming the bad value and what is accepted.
    """
    if direction not in ('asc', 'desc'):
        raise exception.InvalidParameterValue(
            err="Invalid sort direction: %s. Acceptable values are 'asc' or 'desc'"
                % direction)
    if key not in keys:
        raise exception.InvalidParameterValue(
            err='The sort_key value %s is an invalid field for sorting; %s: %s'
                % (key, sorts_by, ', '.join(keys)))


def next_link(page, page_size, marker):
    """The URL of the next page, or None when ``page`` is the last one.

    The request's own query is kept, with ``limit`` and ``marker`` (the
    last item's ``marker`` field) replaced.
    """
    if len(page) != page_size:
        return None
    query = [(k, v) for k, v in flask.request.args.items(multi=True)
             if k not in ('limit', 'marker')]
    query += [('limit', page_size), ('marker', page[-1][marker])]
    return '%s%s?%s' % (links.base_url(), flask.request.path,
                        urllib.parse.urlencode(query, safe=','))
