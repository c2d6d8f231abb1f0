"""anvil-status upgrade check: is this deployment ready to serve (or to upgrade)?

Run it with the configuration of the host it checks (``--config-file``, or
/etc/anvil/anvil.conf as the other commands). Each check answers Success,
Warning or Failure; the exit code is the worst of them (0, 1, 2), and 255
when a check itself broke (oslo.upgradecheck's convention, as Ironic's
``ironic-status``).
"""

import sys

import yaml
from oslo_upgradecheck import common_checks, upgradecheck

from anvil.api import authentication
from anvil.common import exception, release_versions, startup
from anvil.common.config import CONF

Code, Result = upgradecheck.Code, upgradecheck.Result


class Checks(upgradecheck.UpgradeCommands):
    """anvil's checks; each reads the database or the files of this host's config."""

    def _check_schema(self):
        from anvil.db import migration
        try:
            current, head = migration.current(), migration.head()
        except Exception as exc:  # any driver error: the point is to say it
            return Result(Code.FAILURE, 'Cannot read the database at [database] '
                          'connection: %s' % type(exc).__name__)
        if current != head:
            return Result(Code.FAILURE, 'The schema is at revision %s, this code needs %s: '
                          'run "anvil-dbsync upgrade".' % (current or 'none (empty)', head))
        return Result(Code.SUCCESS, 'Schema at revision %s.' % head)

    def _check_policy_file(self):
        from anvil.api import policy  # noqa: F401  (its policy_file default)
        json_check = common_checks.check_policy_json(self, CONF)
        if json_check.code != Code.SUCCESS:
            return json_check
        path = CONF.find_file(CONF.oslo_policy.policy_file)
        if path is None:
            return Result(Code.SUCCESS, 'No policy file: the defaults apply.')
        try:
            with open(path) as f:
                rules = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as exc:
            return Result(Code.FAILURE, 'Policy file %s cannot be read as YAML: %s'
                          % (path, exc))
        if rules is not None and not (isinstance(rules, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in rules.items())):
            return Result(Code.FAILURE, 'Policy file %s must map rule names to check '
                          'strings.' % path)
        return Result(Code.SUCCESS, 'Policy file %s: %d rules.' % (path, len(rules or {})))

    def _check_hardware_types(self):
        from anvil.drivers import loader
        broken = []
        for name in CONF.enabled_hardware_types:
            try:
                loaded = loader.load_hardware_types([name])
            except exception.DriverNotFound:
                broken.append(name)
                continue
            for hardware_type in loaded.values():
                hardware_type.stop()
        if broken:
            return Result(Code.FAILURE, 'Enabled hardware types that cannot be loaded: %s.'
                          % ', '.join(broken))
        return Result(Code.SUCCESS, 'Loadable: %s.' % ', '.join(CONF.enabled_hardware_types))

    def _check_live_conductors(self):
        from anvil.db import conductors
        try:
            rows = conductors.list_conductors(CONF.conductor.heartbeat_timeout)
        except Exception as exc:  # the schema check says more
            return Result(Code.FAILURE, 'Cannot list conductors: %s (see the database '
                          'schema check)' % type(exc).__name__)
        served = {hw for row in rows if row['alive'] for hw in row['drivers']}
        unserved = [hw for hw in CONF.enabled_hardware_types if hw not in served]
        if unserved:
            return Result(Code.FAILURE, 'No live conductor serves %s: calls to their nodes '
                          'answer 503.' % ', '.join(unserved))
        return Result(Code.SUCCESS, '%d live conductors.' % sum(r['alive'] for r in rows))

    def _check_noauth_exposure(self):
        if CONF.auth_strategy == 'noauth' and not authentication.is_loopback(CONF.api.host_ip):
            return Result(Code.WARNING, 'auth_strategy is noauth and the API listens on %s: '
                          'anyone who reaches it is an admin. Use keystone or http_basic.'
                          % CONF.api.host_ip)
        return Result(Code.SUCCESS)

    def _check_release_pin(self):
        from anvil.db import conductors
        try:
            rows = [r for r in conductors.list_conductors(CONF.conductor.heartbeat_timeout)
                    if r['alive']]
        except Exception as exc:  # the schema check says more
            return Result(Code.FAILURE, 'Cannot list conductors: %s (see the database '
                          'schema check)' % type(exc).__name__)
        return _pin_verdict(CONF.pin_release_version, rows)

    def _check_online_migrations(self):
        from anvil.db import online_migrations
        try:
            pending = online_migrations.pending()
        except Exception as exc:  # the schema check says more
            return Result(Code.FAILURE, 'Cannot count rows to migrate: %s (see the '
                          'database schema check)' % type(exc).__name__)
        if pending:
            return Result(Code.WARNING, 'Online data migrations not finished (%s): run '
                          '"anvil-dbsync online_data_migrations" before the next upgrade.'
                          % ', '.join('%s: %d rows' % item for item in pending.items()))
        return Result(Code.SUCCESS, 'No online data migration pending.')

    _upgrade_checks = (
        ('Database schema', _check_schema),
        ('Policy file', _check_policy_file),
        ('Hardware types', _check_hardware_types),
        ('Live conductors', _check_live_conductors),
        ('No authentication', _check_noauth_exposure),
        ('Release pin', _check_release_pin),
        ('Online data migrations', _check_online_migrations),
    )


def _pin_verdict(pinned, live):
    """Whether ``[DEFAULT] pin_release_version`` fits the live conductors ``live``.

    A pin left set after the last conductor was upgraded holds the APIs back
    (older RPC, no route-cache check); no pin while an older conductor runs
    sends it calls it refuses (503). A conductor that records no version is
    of the first release.
    """
    parse = release_versions.parse_version
    oldest = min((r['rpc_version'] or release_versions.BASE_RPC_VERSION for r in live),
                 key=parse, default=None)
    cap = release_versions.rpc_version_cap(pinned)
    if oldest is None:
        return Result(Code.SUCCESS, 'No live conductor to compare the pin with.')
    if parse(oldest) < parse(cap):
        return Result(Code.WARNING, 'A live conductor serves RPC %s, older than the %s '
                      'this API sends: pin the APIs ([DEFAULT] pin_release_version) to '
                      'its release until every conductor is upgraded.' % (oldest, cap))
    if pinned and parse(oldest) >= parse(release_versions.RPC_VERSION):
        return Result(Code.WARNING, '[DEFAULT] pin_release_version is %s, but every live '
                      'conductor serves RPC %s: unset it and restart the APIs.'
                      % (pinned, release_versions.RPC_VERSION))
    return Result(Code.SUCCESS, 'Every live conductor serves RPC %s or newer.' % cap)


def main(argv=None):
    startup.register_log_options()
    upgradecheck.register_cli_options(CONF, Checks())
    CONF.set_default('use_stderr', True)  # standard output is the report (--json)
    startup.parse_args(
        argv, prog='anvil-status',
        description='Check that this anvil deployment is ready to serve or to be '
                    'upgraded: "anvil-status upgrade check [--json]".',
        first_options='Changed first: [database] connection; [DEFAULT] '
                      'enabled_hardware_types, auth_strategy.')
    upgradecheck.CONF = CONF  # what upgradecheck.main does: --json reads it there
    return upgradecheck.run(CONF)


if __name__ == '__main__':
    sys.exit(main())
