"""Decoding a request body as strict JSON: UTF-8, bounded nesting, finite numbers.

``json.loads`` alone is too lenient and too fragile for input from anyone:
it guesses UTF-16/32 from the bytes, accepts ``NaN``/``Infinity`` (which no
JSON parser elsewhere reads back), turns ``1e400`` into infinity, keeps lone
surrogates (``"\\ud800"``, which cannot be encoded again), and recurses once
per nesting level, so a deep ``[[[[...]]]]`` ends in RecursionError (a 500).
Here every one of these is a 400 (InvalidParameterValue) before a handler
sees the value.

The nesting depth is measured before parsing, without recursion: strings are
cut out with one regular expression (their brackets do not count) and the
running sum of the remaining brackets is taken. For any text, the part
``json.loads`` reads before it stops is valid JSON, where every quote outside
a string opens one, so the measured depth bounds the parser's recursion.
"""

import itertools
import json
import math
import re

from anvil.common import exception

# A JSON string literal: quote, then runs of plain characters and escapes. The
# closing quote is optional so that a match never fails: an unterminated string
# runs to the end (the parser stops there anyway), and the scan stays linear
# instead of retrying from every later quote.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')
_STEP = {'[': 1, '{': 1, ']': -1, '}': -1}
# \uD800-\uDFFF escapes: only a body with one needs the surrogate check.
_SURROGATE_ESCAPE = re.compile(r'\\u[dD][89a-fA-F]')


def _invalid(reason):
    return exception.InvalidParameterValue(err='Request body is not valid JSON: %s' % reason)


def _text(raw):
    """The body as text; RFC 8259 section 8.1: JSON between systems is UTF-8."""
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as e:
        raise _invalid('byte %d is not UTF-8 (JSON is sent as UTF-8)' % e.start) from None


def depth(text):
    """The deepest nesting of arrays and objects in ``text`` (iterative)."""
    brackets = _NOT_BRACKET.sub('', _STRING.sub('', text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _reject_constant(name):
    raise _invalid('%s is not a JSON number' % name)


def _finite_float(literal):
    value = float(literal)
    if math.isinf(value):
        raise _invalid('the number %.40s is out of range' % literal)
    return value


def _check_encodable(value):
    """Lone surrogates from ``\\uD800``-style escapes are not Unicode text."""
    try:
        json.dumps(value, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError:
        raise _invalid('it contains an unpaired surrogate (\\uD800-\\uDFFF) escape') \
            from None


def loads(raw, max_depth):
    """Decode ``raw`` (bytes) as strict JSON nested at most ``max_depth`` deep.

    :raises: InvalidParameterValue for bytes that are not UTF-8, text that is
        not JSON, nesting deeper than ``max_depth``, NaN/Infinity, numbers out
        of a float's range and unpaired surrogate escapes.
    """
    text = _text(raw)
    found = depth(text)
    if found > max_depth:
        raise exception.InvalidParameterValue(
            err='Request body is nested %d deep; the limit is %d '
                '([api] max_json_depth)' % (found, max_depth))
    try:
        value = json.loads(text, parse_constant=_reject_constant,
                           parse_float=_finite_float)
    except ValueError as e:
        raise _invalid(e) from None
    if _SURROGATE_ESCAPE.search(text):
        _check_encodable(value)
    return value
