"""A SessionService for the sushy-tools emulator (which has none), and token auth.

Per DSP0266 "Redfish session login authentication": POST {UserName,
Password} to the Sessions collection (no other authentication needed)
answers 201 with ``X-Auth-Token`` and ``Location`` (the session resource);
requests then carry ``X-Auth-Token``; DELETE of the session logs out (204);
a request with an unknown or expired token gets 401. Credentials are
checked against the emulator's htpasswd-style auth file (bcrypt), once per
login instead of once per request.
"""

import itertools
import secrets
import threading

import flask
from sushy_tools import error as fishy_error
from sushy_tools.emulator import auth_basic

from tests.functional.redfish_bmc import redfish_errors

ROOT = '/redfish/v1/SessionService'
SESSIONS = ROOT + '/Sessions'

bp = flask.Blueprint('anvil_session_service', __name__)
_lock = threading.Lock()
_ids = itertools.count(1)
_sessions = {}  # id -> {'token', 'user'}
STATS = {'sessions_created': 0, 'sessions_deleted': 0, 'token_requests': 0,
         'other_requests': 0, 'refused_tokens': 0}


def _count(name):
    with _lock:
        STATS[name] += 1


def stats():
    with _lock:
        return dict(STATS, active_sessions=len(_sessions))


def expire_all():
    """Forget every session, as a BMC does when sessions time out or it reboots."""
    with _lock:
        _sessions.clear()


def _token_valid(token):
    with _lock:
        return any(s['token'] == token for s in _sessions.values())


@bp.route(ROOT, methods=['GET'])
def session_service():
    return flask.jsonify({
        '@odata.type': '#SessionService.v1_1_8.SessionService', '@odata.id': ROOT,
        'Id': 'SessionService', 'Name': 'Session Service', 'ServiceEnabled': True,
        'SessionTimeout': 1800, 'Status': {'State': 'Enabled', 'Health': 'OK'},
        'Sessions': {'@odata.id': SESSIONS}})


def _session_doc(session_id, user):
    return {'@odata.type': '#Session.v1_6_0.Session',
            '@odata.id': '%s/%s' % (SESSIONS, session_id), 'Id': session_id,
            'Name': 'User Session', 'UserName': user, 'Password': None}


@bp.route(SESSIONS, methods=['GET'])
def sessions():
    with _lock:
        members = [{'@odata.id': '%s/%s' % (SESSIONS, sid)} for sid in _sessions]
    return flask.jsonify({'@odata.type': '#SessionCollection.SessionCollection',
                          '@odata.id': SESSIONS, 'Name': 'Session Collection',
                          'Members@odata.count': len(members), 'Members': members})


def _authenticate(user, password):
    auth_file = flask.current_app.config.get('SUSHY_EMULATOR_AUTH_FILE')
    if not auth_file:
        return True
    try:
        auth_basic.authenticate(auth_file, user, password.encode())
    except fishy_error.FishyError:
        return False
    return True


@bp.route(SESSIONS, methods=['POST'])
def login():
    body = flask.request.get_json(force=True, silent=True) or {}
    user, password = body.get('UserName'), body.get('Password')
    if not isinstance(user, str) or not isinstance(password, str) \
            or not _authenticate(user, password):
        return redfish_errors.error(401, 'InsufficientPrivilege',
                                    'The user name or password is not valid.',
                                    severity='Critical')
    token = secrets.token_hex(16)
    with _lock:
        session_id = str(next(_ids))
        _sessions[session_id] = {'token': token, 'user': user}
        STATS['sessions_created'] += 1
    response = flask.jsonify(_session_doc(session_id, user))
    response.status_code = 201
    response.headers['X-Auth-Token'] = token
    response.headers['Location'] = '%s/%s' % (SESSIONS, session_id)
    return response


@bp.route(SESSIONS + '/<session_id>', methods=['GET', 'DELETE'])
def session(session_id):
    with _lock:
        found = (_sessions.pop(session_id, None) if flask.request.method == 'DELETE'
                 else _sessions.get(session_id))
        if found is not None and flask.request.method == 'DELETE':
            STATS['sessions_deleted'] += 1
    if found is None:
        return redfish_errors.not_found(flask.request.path)
    if flask.request.method == 'DELETE':
        return '', 204
    return flask.jsonify(_session_doc(session_id, found['user']))


class TokenAuth:
    """WSGI: requests with a valid X-Auth-Token skip Basic auth; a login needs none.

    ``guarded`` is the app behind the emulator's Basic-auth middleware (or
    the bare app when it runs without an auth file); ``bare`` the Flask app.
    """

    def __init__(self, guarded, bare):
        self.guarded = guarded
        self.bare = bare

    def __call__(self, env, start_response):
        token = env.get('HTTP_X_AUTH_TOKEN')
        if token is not None:
            if not _token_valid(token):
                _count('refused_tokens')
                return redfish_errors.wsgi_error(
                    401, 'NoValidSession', 'There is no valid session established '
                    'with the implementation.')(env, start_response)
            _count('token_requests')
            return self.bare(env, start_response)
        _count('other_requests')
        path = env.get('PATH_INFO', '').rstrip('/')
        if env.get('REQUEST_METHOD') == 'POST' and path == SESSIONS:
            return self.bare(env, start_response)
        return self.guarded(env, start_response)
