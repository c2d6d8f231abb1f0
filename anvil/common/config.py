"""Configuration options of anvil, declared per group with oslo.config.

Option names follow Ironic's wherever Ironic has the same knob, so operators'
habits and existing config files carry over. Defaults give the embedded
all-in-one setup: SQLite under ``state_path`` and the in-process dispatcher.
``list_opts`` feeds oslo-config-generator (see ``etc/anvil/anvil.conf.sample``).
"""

import os
import socket

from oslo_config import cfg

from anvil.common import release_versions

CONF = cfg.CONF

_DEFAULT_STATE_PATH = os.path.join(os.path.expanduser('~'), '.local', 'share', 'anvil')

default_opts = [
    cfg.StrOpt('host', default=socket.gethostname(), sample_default='localhost',
               help='Name of this node. Conductors register under it; it is '
                    'their RPC server name and the holder name of the node '
                    'locks they take. Must be unique among conductors.'),
    cfg.ListOpt('enabled_hardware_types', default=['fake-hardware'],
                help='Hardware types (drivers) this conductor loads and '
                     'serves, by entry point name in the '
                     '"anvil.hardware.types" group. A conductor that can '
                     'load none of them refuses to start.'),
    cfg.StrOpt('state_path', default=_DEFAULT_STATE_PATH,
               sample_default='~/.local/share/anvil',
               help='Directory for the state of the all-in-one setup '
                    '(its SQLite database).'),
    cfg.StrOpt('rpc_transport', default='local', choices=['local', 'oslo'],
               help='Only read by the all-in-one "anvil" command: "local" '
                    'calls the conductor in the same process through the '
                    'in-process dispatcher; "oslo" goes through '
                    'oslo.messaging and transport_url even in one process. '
                    'anvil-api and anvil-conductor always use oslo.messaging.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Keystone tokens, validated by keystonemiddleware '
                                     '(options in [keystone_authtoken]).'),
                        ('http_basic', 'HTTP Basic against the bcrypt htpasswd file '
                                       'http_basic_auth_user_file; every user is an admin.'),
                        ('noauth', 'No authentication: every caller is an admin. Only '
                                   'on a loopback address (the all-in-one\'s default).')],
               help='How API callers are authenticated. "/", "/v1" and '
                    '"/healthcheck" answer without credentials whatever the '
                    'strategy; identity headers sent by clients are ignored.'),
    cfg.StrOpt('http_basic_auth_user_file', default='/etc/anvil/htpasswd',
               help='htpasswd file of the http_basic strategy: one "user:hash" '
                    'line per user, bcrypt hashes only (htpasswd -B). Re-read '
                    'when it changes.'),
    cfg.StrOpt('rbac_service_project_name', default='service',
               help='Project whose users with the "service" role count as a '
                    'service in policy rules (rule:service_role), as in Ironic.'),
    cfg.StrOpt('pin_release_version', choices=release_versions.pinnable_releases(),
               help='Set on every anvil-api during a rolling upgrade: the '
                    'release of the oldest conductor still running. Calls then '
                    'use only the RPC API that release serves (a newer argument '
                    'is left out, or its feature not used). Unset: this '
                    'release. See docs/operations.md, "Upgrades".'),
]

api_opts = [
    cfg.HostAddressOpt('host_ip', default='127.0.0.1',
                       help='IP address the API server listens on.'),
    cfg.PortOpt('port', default=6385, help='TCP port the API server listens on.'),
    cfg.BoolOpt('enable_ssl_api', default=False,
                help='Serve the API over HTTPS (anvil-api and the all-in-one) '
                     'with the certificate and key of the [ssl] group. Leave '
                     'it off behind a proxy that terminates TLS, and enable '
                     '[oslo_middleware] enable_proxy_headers_parsing (or set '
                     'public_endpoint) so links say https.'),
    cfg.IntOpt('api_workers', default=2, min=1,
               help='Number of gunicorn worker processes anvil-api runs.'),
    cfg.IntOpt('api_threads', default=8, min=1,
               help='Threads per API worker (gunicorn gthread workers).'),
    cfg.IntOpt('max_request_body_size', default=1024 * 1024, min=1,
               help='Largest request body accepted, in bytes; bigger bodies '
                    'are refused with 413 before anything is routed.'),
    cfg.IntOpt('request_read_timeout', default=30, min=1,
               help='Seconds a client has to send a whole request (request line, '
                    'headers and body) once its first byte arrives. A client '
                    'still sending headers then is disconnected; one still '
                    'sending its body gets 408. Frees the worker threads that '
                    'slow or stalled clients would hold. The all-in-one applies '
                    'it to each read instead (a client that stops sending).'),
    cfg.IntOpt('max_json_depth', default=32, min=1, max=500,
               help='Deepest nesting of arrays and objects accepted in a JSON '
                    'request body; deeper bodies are refused with 400 before '
                    'they are parsed (the parser recurses once per level).'),
    cfg.StrOpt('public_endpoint',
               help='Public URL of the API used in links; by default the '
                    'URL the request came to.'),
    cfg.IntOpt('rpc_retry', default=1, min=0,
               help='How many times an RPC send is retried while the message '
                    'bus is unreachable before the API answers 503. A bound '
                    'is essential: unbounded retries hang the request.'),
    cfg.IntOpt('call_monitor_timeout', default=5, min=1,
               help='Seconds without a heartbeat from the conductor after '
                    'which a running sync call is given up (504), so a '
                    'conductor that died mid-call is noticed long before '
                    'rpc_response_timeout.'),
    cfg.FloatOpt('metadata_cache_ttl', default=5.0, min=0,
                 help='Seconds the API keeps the conductor list and vendor '
                      'method metadata before re-reading them from the '
                      'database. A conductor change is seen at most this late.'),
    cfg.FloatOpt('node_route_cache_ttl', default=30.0, min=0,
                 help='Each API process keeps a table of every node\'s routing '
                      'fields (UUID, name, driver, vendor interface, conductor '
                      'group; up to 20,000 nodes, loaded in one query) so that a '
                      'sync passthru call needs no database read; the table is '
                      'loaded again when older than this many seconds. The '
                      'conductor checks the fields against the node it locks and '
                      'the call is routed again when they changed, so a stale '
                      'entry costs a retry, never a wrong node. 0 disables it.'),
    cfg.MultiStrOpt('passthru_deny', default=[],
                    help='Vendor methods refused with 400 whatever their '
                         'driver says, as "<hardware type>:<method>" or '
                         '"*:<method>". Repeat the option for several.'),
    cfg.BoolOpt('access_log', default=True,
                help='Log one line per API request (logger anvil.api.access): '
                     'method, path and query (secrets masked), status, duration '
                     'in ms, request id, user and project.'),
    cfg.BoolOpt('log_healthcheck', default=False,
                help='Log the access lines of GET /healthcheck at INFO like any '
                     'other request. Off, they are logged at DEBUG (load '
                     'balancers poll it every second or two), except an answer '
                     'whose status differs from the previous /healthcheck answer '
                     'of the same process (the first, a 200 after a 503, ...): '
                     'that one stays at INFO.'),
]

conductor_opts = [
    cfg.StrOpt('topic', default='anvil.conductor',
               help='RPC topic conductors listen on (each on "<topic>.<host>"). '
                    'Deployments sharing one RabbitMQ virtual host use '
                    'different topics.'),
    cfg.FloatOpt('heartbeat_interval', default=1.0, min=0.1,
                 help='Seconds between a conductor\'s heartbeats. Each one '
                      'renews the conductor\'s lease on its nodes; keep it '
                      'well inside heartbeat_timeout - lease_fence_margin, so '
                      'that a late or failed heartbeat or two costs nothing.'),
    cfg.FloatOpt('heartbeat_timeout', default=3.0, min=1.0,
                 help='Length of a conductor\'s lease, in seconds of the '
                      'database\'s clock from its last heartbeat. Once it is '
                      'over, the conductor counts as dead: it leaves the hash '
                      'ring, the others read its RPC queue and release its node '
                      'locks. Together with heartbeat_interval it bounds how '
                      'long a dead conductor\'s nodes go unserved (about '
                      'heartbeat_timeout + heartbeat_interval).'),
    cfg.FloatOpt('lease_fence_margin', default=1.0, min=0,
                 help='A conductor whose last successful heartbeat began more '
                      'than heartbeat_timeout - lease_fence_margin seconds ago '
                      '(by its own monotonic clock) starts no new work and '
                      'refuses calls (503) until a heartbeat succeeds again: it '
                      'fences itself before anyone may take its nodes. A long '
                      'pause (GC, a frozen process, a slow database) thus '
                      'costs refusals, never two conductors driving one node.'),
    cfg.FloatOpt('bus_lost_timeout', default=1.0, min=0,
                 help='Seconds a conductor\'s RPC server may be without its '
                      'message bus connection before the conductor goes '
                      'offline: it keeps its lease and locks and finishes what '
                      'it runs, while the APIs route its nodes to its peers and '
                      'the peers read its queue. It goes online again as soon '
                      'as the connection is back.'),
    cfg.IntOpt('node_locked_retry_attempts', default=3, min=1,
               help='Attempts to take a node lock before giving up with '
                    '409 (NodeLocked).'),
    cfg.FloatOpt('node_locked_retry_interval', default=1.0, min=0,
                 help='Seconds between attempts to take a node lock. Waiters '
                      'on the same conductor are woken earlier when the '
                      'lock is released.'),
    cfg.IntOpt('workers_pool_size', default=100, min=2,
               help='Size of the worker pool running async vendor methods; '
                    'a call that finds it full is refused (503).'),
    cfg.IntOpt('orphan_queue_window', default=86400, min=1,
               help='Seconds after a conductor\'s last heartbeat during which '
                    'live conductors still read its RPC queue (casts routed to '
                    'it before it died are run or recorded expired). Past this '
                    'window, plus max_clock_skew and heartbeat_timeout, the '
                    'conductor counts as gone for good and a live one deletes '
                    'its queue from RabbitMQ.'),
    cfg.IntOpt('async_cast_ttl', default=60, min=1,
               help='Seconds after which an async call still waiting in the '
                    'queue (for example across a conductor restart) is '
                    'recorded as expired instead of run. A call no conductor '
                    'has started this long (plus max_clock_skew) after the API '
                    'accepted it is marked expired on its record '
                    '(/v1/passthru_calls), e.g. when its conductor died.'),
    cfg.FloatOpt('max_clock_skew', default=5.0, min=0,
                 help='Seconds by which clocks of API and conductor hosts may '
                      'differ. A sync call read more than this late after its '
                      'caller gave up (it waited in the queue of a frozen or '
                      'dead conductor; the client got 504) is not run.'),
    cfg.IntOpt('hash_partition_exponent', default=5, min=1, max=12,
               help='The hash ring places 2**exponent points per conductor.'),
    cfg.StrOpt('conductor_group', default='',
               help='Name of the group this conductor belongs to; nodes with '
                    'that conductor_group are served only by its members.'),
    cfg.IntOpt('graceful_shutdown_timeout', default=30, min=0,
               help='Seconds a stopping conductor waits for running methods '
                    'to finish before it releases their locks anyway.'),
    cfg.BoolOpt('node_history', default=True,
                help='Record events (such as the outcome of every async vendor '
                     'call) in node history. When false nothing new is recorded; '
                     'a node\'s last_error is still set.'),
    cfg.IntOpt('node_history_max_entries', default=300, min=0,
               help='Newest history events kept per node when history is '
                    'pruned; older ones are deleted (unless younger than '
                    'node_history_minimum_days). The same bound applies to the '
                    'records of finished async calls: per node, and per hardware '
                    'type for driver-level calls.'),
    cfg.IntOpt('node_history_cleanup_interval', default=86400, min=0,
               help='Seconds between two prunings of node history and async '
                    'call records by each conductor (each prunes its share of '
                    'the nodes). 0 disables pruning.'),
    cfg.IntOpt('node_history_cleanup_batch_count', default=1000, min=1,
               help='Most history events (and, separately, async call records) '
                    'deleted by one pruning; the rest waits for the next. They '
                    'are deleted in short transactions of at most 100 rows, so '
                    'pruning never holds the database for long.'),
    cfg.IntOpt('node_history_minimum_days', default=0, min=0,
               help='History events and async call records younger than this '
                    'many days are kept even beyond node_history_max_entries.'),
    cfg.IntOpt('passthru_call_result_size', default=4096, min=64,
               help='Characters of an async call\'s masked result (as JSON) '
                    'and error message kept on its record; longer ones are '
                    'cut and marked truncated.'),
    cfg.PortOpt('metrics_port', default=0,
                help='TCP port on which a conductor serves GET /metrics '
                     '(Prometheus) and GET /healthcheck (its liveness: '
                     'database, message bus, its own heartbeat), without '
                     'authentication. 0 (the default) serves nothing: several '
                     'conductors may share a host, and each needs a port of '
                     'its own. Not read by the all-in-one, whose API serves both.'),
    cfg.HostAddressOpt('metrics_host', default='127.0.0.1',
                       help='Address the metrics_port listens on. Keep a '
                            'loopback or management address: what is served '
                            'there answers anyone who can connect.'),
]

fake_opts = [
    cfg.StrOpt('execution_ledger',
               help='Tests only: a file to which every fake-hardware vendor '
                    'method appends one line (request id, method, node, '
                    'conductor) as it starts running, so a test can count how '
                    'often each request ran across processes. Unset: nothing '
                    'is written.'),
    cfg.StrOpt('vendor_delay', default='0',
               help='Seconds every fake-hardware vendor method sleeps before '
                    'it answers: one number, or "a,b" for a random delay '
                    'between a and b.'),
]

redfish_opts = [
    cfg.FloatOpt('connect_timeout', default=5.0, min=0.1,
                 help='Seconds to wait for a TCP connection to a BMC.'),
    cfg.FloatOpt('read_timeout', default=10.0, min=0.1,
                 help='Seconds to wait for a BMC to answer a request once '
                      'connected. Keep connect_timeout + read_timeout well '
                      'below rpc_response_timeout, or a slow BMC turns a sync '
                      'call into a 504.'),
    cfg.IntOpt('server_side_retries', default=1, min=1,
               help='Attempts sushy makes for a request that could not '
                    'connect or timed out, and retries of a GET the BMC '
                    'answered with a 5xx error.'),
    cfg.FloatOpt('server_side_retries_delay', default=1.0, min=0.1,
                 help='Seconds between those attempts.'),
    cfg.StrOpt('auth_type', default='auto', choices=['auto', 'session', 'basic'],
               help='How to authenticate to a BMC when the node\'s '
                    'redfish_auth_type does not say: "session" (a Redfish '
                    'session token), "basic" (HTTP Basic on every request) or '
                    '"auto" (a session, falling back to Basic).'),
    cfg.IntOpt('connection_cache_size', default=1000, min=1,
               help='Number of BMC connections (one per address and '
                    'credentials) a conductor keeps open; the least recently '
                    'used one is logged out beyond that.'),
    cfg.IntOpt('connection_cache_ttl', default=600, min=1,
               help='Seconds a cached BMC connection is reused; an older one '
                    'is logged out and a new session opened, so a BMC whose '
                    'service root changed is read again.'),
]

# Ironic reads these from oslo.service's [ssl] group, whose module is deprecated
# for removal: the same names are declared here so an Ironic config carries over.
ssl_opts = [
    cfg.StrOpt('cert_file',
               help='PEM certificate (chain) the API presents when '
                    '[api] enable_ssl_api is true.'),
    cfg.StrOpt('key_file',
               help='PEM private key of cert_file.'),
    cfg.StrOpt('ca_file',
               help='CA certificate(s) that verify connecting clients: when '
                    'set, the API accepts only clients presenting a '
                    'certificate signed by them (mutual TLS).'),
    cfg.StrOpt('ciphers',
               help='OpenSSL cipher list the API offers (TLS 1.2 and older); '
                    'by default the Python ssl module\'s.'),
]

metrics_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Record Prometheus metrics (API requests, passthru calls, '
                     'RPC, node locks, worker pool, BMC requests) and serve '
                     'them on GET /metrics of the API (and of a conductor\'s '
                     '[conductor] metrics_port). Off: nothing is recorded and '
                     '/metrics answers 404.'),
    cfg.BoolOpt('public', default=False,
                help='Serve the API\'s /metrics without authentication, for a '
                     'Prometheus that cannot send credentials; then restrict who '
                     'reaches it by network. Otherwise /metrics needs the same '
                     'credentials as the rest of the API and the policy rule '
                     'baremetal:metrics:get (system reader by default).'),
    cfg.StrOpt('multiproc_dir',
               help='Directory where anvil-api\'s gunicorn workers keep their '
                    'samples (prometheus_client multiprocess mode), emptied at '
                    'start; one per anvil-api (a second one refuses to start '
                    'on a directory in use). By default the '
                    'PROMETHEUS_MULTIPROC_DIR environment variable, else a new '
                    'temporary directory removed at exit.'),
]

healthcheck_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Answer GET /healthcheck on the API (oslo.middleware '
                     'healthcheck) without authentication: 200 when every '
                     'backend check passes, 503 otherwise. The checks are the '
                     'options "backends" of this group.'),
    cfg.FloatOpt('check_timeout', default=3.0, min=0.1,
                 help='Seconds each of anvil\'s checks (database, message bus, '
                      'conductors) may take before it fails as "not answering": a '
                      'database or broker that accepts connections but never '
                      'answers makes /healthcheck answer 503 within about '
                      'backends x check_timeout instead of hanging. A check still '
                      'waiting when the next request comes fails at once.'),
]

_GROUPS = [
    (None, default_opts),
    ('api', api_opts),
    ('conductor', conductor_opts),
    ('metrics', metrics_opts),
    ('healthcheck', healthcheck_opts),
    ('fake', fake_opts),
    ('redfish', redfish_opts),
    ('ssl', ssl_opts),
]


_DEFAULT_CONNECTION = 'sqlite:///$state_path/anvil.sqlite'
_RPC_RESPONSE_TIMEOUT = 30


def register_opts(conf):
    """Register anvil's own options (and oslo.db's) on ``conf``."""
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=group)
    from oslo_db import options as db_options
    db_options.set_defaults(conf, connection=_DEFAULT_CONNECTION)
    _register_messaging_opts(conf)
    _register_healthcheck_opts(conf)


#: anvil's checks first, then the file operators touch to drain a host.
HEALTHCHECK_BACKENDS = ['anvil_database', 'anvil_message_bus', 'anvil_conductors',
                        'disable_by_file']


def _healthcheck_library_opts():
    from oslo_middleware.healthcheck import opts as hc_opts
    return hc_opts.HEALTHCHECK_OPTS + hc_opts.DISABLE_BY_FILE_OPTS


def _register_healthcheck_opts(conf):
    """oslo.middleware's [healthcheck] options, with anvil's defaults.

    ``detailed`` is on: the detailed view goes only to callers allowed by the
    policy rule baremetal:healthcheck:detailed (``anvil.api.healthcheck``),
    never to anonymous ones. ``disable_by_file_path`` has a default so that
    draining a host is one ``touch``.
    """
    conf.register_opts(_healthcheck_library_opts(), group='healthcheck')
    conf.set_default('backends', HEALTHCHECK_BACKENDS, group='healthcheck')
    conf.set_default('detailed', True, group='healthcheck')
    conf.set_default('disable_by_file_path', '$state_path/healthcheck-disable',
                     group='healthcheck')


def _register_messaging_opts(conf):
    """Register oslo.messaging's own options now, so anvil can read and default them.

    A call that outlives rpc_response_timeout answers 504; 60 s (the library
    default) is how Ironic hangs, so anvil waits 30 s at most by default.
    """
    import oslo_messaging.opts
    for group, opts in oslo_messaging.opts.list_opts():
        if group in (None, 'DEFAULT'):
            conf.register_opts(opts)
    conf.set_default('rpc_response_timeout', _RPC_RESPONSE_TIMEOUT)


def update_opt_defaults():
    """Give library options anvil's defaults in the sample config.

    oslo-config-generator calls this (entry point ``oslo.config.opts.defaults``)
    before it lists the options; it changes the option objects themselves,
    which ``register_opts`` above does not (it sets defaults on CONF only).
    """
    from oslo_db import options as db_options
    from oslo_messaging.rpc import client as rpc_client
    cfg.set_defaults(db_options.database_opts, connection=_DEFAULT_CONNECTION)
    cfg.set_defaults(rpc_client._client_opts, rpc_response_timeout=_RPC_RESPONSE_TIMEOUT)
    cfg.set_defaults(_healthcheck_library_opts(), backends=HEALTHCHECK_BACKENDS,
                     detailed=True, disable_by_file_path='$state_path/healthcheck-disable')


def list_opts():
    """Options for oslo-config-generator: anvil's groups and oslo.db's."""
    from oslo_db import options as db_options
    hc = [(group, opts) for group, opts in _GROUPS if group == 'healthcheck']
    return [(group or 'DEFAULT', opts) for group, opts in _GROUPS if group != 'healthcheck'] + [
        ('database', db_options.database_opts),
        ('healthcheck', hc[0][1] + _healthcheck_library_opts())]


register_opts(CONF)
