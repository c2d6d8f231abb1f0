"""anvil-dbsync: create or upgrade the database schema (alembic)."""

import argparse
import sys

from oslo_config import cfg

from anvil.common import startup
from anvil.common.config import CONF


def _add_commands(subparsers):
    up = subparsers.add_parser('upgrade', help='Upgrade the schema to a revision (head).')
    up.add_argument('--revision', default='head')
    subparsers.add_parser('current', help='Print the revision the database is at.')
    subparsers.add_parser('version', help='Print the newest revision this code knows.')
    online = subparsers.add_parser(
        'online_data_migrations',
        help='Run the data migrations services tolerate while running; exit 0 when '
             'none remain, 1 when some do (run again).')
    online.add_argument('--max-count', type=_positive_int, default=None,
                        help='Migrate at most this many rows in all (default: until done).')


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('must be a positive integer, not %r' % text)
    return value


def main(argv=None):
    CONF.register_cli_opt(cfg.SubCommandOpt('command', handler=_add_commands, title='commands',
                                              help='what to do with the schema'))
    startup.parse_args(
        argv, prog='anvil-dbsync',
        description='Create or upgrade the database schema of anvil.',
        first_options='Changed first: [database] connection.')
    from anvil.db import migration
    command = CONF.command.name
    if command == 'upgrade':
        migration.upgrade(CONF.command.revision)
        print('Database at revision %s' % migration.current())
    elif command == 'online_data_migrations':
        from anvil.db import online_migrations
        return online_migrations.run_and_report(CONF.command.max_count)
    elif command == 'current':
        print(migration.current() or 'empty')
    else:
        print(migration.head())
    return 0


if __name__ == '__main__':
    sys.exit(main())
