"""The authorization matrix of the Keystone tests: every anvil endpoint x every persona.

The expected statuses are Ironic's secure-RBAC defaults (system scope admin and
reader; project scope through the node's ``owner``). Node ``{N}`` is owned by
project-a; ``{own}`` is a node of its own per caller, also owned by project-a,
for the rows that change or remove it. A project that may not see a node gets
404, as from Ironic, and no answer to a project-b user names a project-a node.
Rows run top to bottom for each caller, so ``{own}`` is patched before it is
deleted. ``test_auth_keystone`` runs it and prints the statuses seen.
"""

from tests.functional.deployment import fault

CALLERS = ('none', 'bad-token', 'system-reader', 'a-reader', 'a-member', 'a-admin',
           'b-member', 'system-admin')
BAD_TOKEN = 'gAAAAABnot-a-real-fernet-token'

# {drv}: /v1/drivers/fake-hardware; {N}: /v1/nodes/<project-a's node>; {own}:
# /v1/nodes/<the caller's own project-a node>; {call}, {dcall}: /v1/passthru_calls/<the
# request id of an async call on {N}, of an async driver call>. Columns: none, bad
# token, system-reader, a-reader, a-member, a-admin, b-member, system-admin. Unlike
# Ironic, listing vendor methods needs only read access (baremetal:node:get,
# baremetal:driver:get).
MATRIX = """
GET    /                                    -           200 200 200 200 200 200 200 200
GET    /v1                                  -           200 200 200 200 200 200 200 200
GET    /v1/openapi.json                     -           401 401 200 200 200 200 200 200
GET    /v1/drivers                          -           401 401 200 403 403 403 403 200
GET    {drv}                                -           401 401 200 403 403 403 403 200
GET    {drv}/properties                     -           401 401 200 403 403 403 403 200
GET    {drv}/vendor_passthru/methods        -           401 401 200 403 403 403 403 200
POST   {drv}/vendor_passthru/driver_echo    {}          401 401 403 403 403 403 403 200
GET    /v1/conductors                       -           401 401 200 403 403 403 403 200
GET    /v1/conductors/{host}                -           401 401 200 403 403 403 403 200
POST   /v1/nodes                            create      401 401 403 403 403 201 403 201
GET    /v1/nodes                            -           401 401 200 200 200 200 200 200
GET    /v1/nodes/detail                     -           401 401 200 200 200 200 200 200
GET    {N}                                  -           401 401 200 200 200 200 404 200
PATCH  {N}                                  extra       401 401 403 403 200 200 404 200
PATCH  {N}                                  driver_info 401 401 403 403 200 200 404 200
PUT    {N}/maintenance                      {}          401 401 403 403 202 202 404 202
DELETE {N}/maintenance                      -           401 401 403 403 202 202 404 202
GET    {N}/history                          -           401 401 200 200 200 200 404 200
GET    {N}/history/{event}                  -           401 401 200 200 200 200 404 200
GET    {N}/vendor_passthru/methods          -           401 401 200 200 200 200 404 200
POST   {N}/vendor_passthru/third_method_sync meow       401 401 403 403 403 403 404 200
GET    {call}                               -           401 401 200 200 200 200 404 200
GET    {dcall}                              -           401 401 200 404 404 404 404 200
GET    /v1/passthru_calls/req-nosuch        -           401 401 404 404 404 404 404 404
PATCH  {own}                                owner       401 401 403 403 403 403 404 200
DELETE {own}                                -           401 401 403 403 403 204 404 204
"""


def parse_matrix(text=MATRIX):
    """[(verb, path, body name, {caller: expected status})] from the table."""
    rows = []
    for line in text.strip().splitlines():
        verb, path, body, *codes = line.split()
        assert len(codes) == len(CALLERS), line
        rows.append((verb, path, body, dict(zip(CALLERS, map(int, codes), strict=True))))
    return rows


def bodies(keystone, caller):
    return {
        '-': None, '{}': {},
        'create': {'name': 'mx-new-%s' % caller, 'driver': 'fake-hardware'},
        'extra': [{'op': 'add', 'path': '/extra/by', 'value': caller}],
        'driver_info': [{'op': 'add', 'path': '/driver_info/by', 'value': caller}],
        'owner': [{'op': 'replace', 'path': '/owner',
                   'value': keystone.project_ids['project-b']}],
        'meow': {'bar': 'meow'},
    }


def token(keystone, caller):
    if caller == 'none':
        return None
    if caller == 'bad-token':
        return BAD_TOKEN
    return keystone.persona_token(caller)


def check(resp, expected, caller, nodes):
    """What is wrong with ``resp`` (None if nothing)."""
    if resp.status_code != expected:
        return 'expected %s, got %s: %s' % (expected, resp.status_code, resp.text[:300])
    # a 401 is keystonemiddleware's own answer, with its own body (as from Ironic)
    if resp.status_code >= 400 and resp.status_code != 401:
        try:
            fault(resp)
        except AssertionError as e:
            return 'not Ironic\'s error shape: %s' % e
    # a 404 may repeat the UUID the caller sent; anything else must not name the node
    if caller.startswith('b-') and resp.status_code != 404 and (nodes['node']['uuid'] in resp.text
                                    or 'mx-a"' in resp.text):
        return 'a project-b user was shown a project-a node: %s' % resp.text[:300]
    return None


def format_matrix(seen):
    """The matrix as a text table of the statuses seen."""
    header = ['endpoint'] + list(CALLERS)
    lines = []
    for verb, path, body, _expected in parse_matrix():
        label = '%s %s%s' % (verb, path, '' if body in ('-', '{}') else ' (%s)' % body)
        lines.append([label] + [str(seen.get((verb, path, body, c), '-')) for c in CALLERS])
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
    return '\n'.join(' | '.join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     for row in [header] + lines)
