"""anvil-dbsync: create or upgrade the database schema (alembic)."""

import sys

from oslo_config import cfg

from anvil.common import startup
from anvil.common.config import CONF


def _add_commands(subparsers):
    up = subparsers.add_parser('upgrade', help='Upgrade the schema to a revision (head).')
    up.add_argument('--revision', default='head')
    subparsers.add_parser('current', help='Print the revision the database is at.')
    subparsers.add_parser('version', help='Print the newest revision this code knows.')


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
    elif command == 'current':
        print(migration.current() or 'empty')
    else:
        print(migration.head())
    return 0


if __name__ == '__main__':
    sys.exit(main())
