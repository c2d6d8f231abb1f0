"""anvil-dbsync online_data_migrations: the loop, its batches, its report, its exit codes."""

import os
import subprocess
import sys

import pytest

from anvil.db import online_migrations


class RowsToMigrate:
    """A test migration over ``count`` rows: records every batch size it was given."""

    def __init__(self, count, fail_after=None):
        self.left = count
        self.batches = []
        self.fail_after = fail_after

    def __call__(self, max_count):
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise RuntimeError('row 7 cannot be read')
        self.batches.append(max_count)
        needed = self.left
        done = min(needed, max_count)
        self.left -= done
        return needed, done


@pytest.fixture
def registered(monkeypatch):
    """Register test migrations, as a release that needs them would."""
    def register(*migrations):
        monkeypatch.setattr(online_migrations, 'MIGRATIONS', list(migrations))
    return register


def test_unbounded_run_migrates_everything_in_batches(registered, capsys):
    first, second = RowsToMigrate(120), RowsToMigrate(3)
    registered(('first', first), ('second', second))
    assert online_migrations.run_and_report(None) == 0
    assert first.batches == [50, 50, 50] and first.left == 0
    assert second.batches == [50] and second.left == 0
    out = capsys.readouterr().out
    assert '| first     | 120          | 120       |' in out
    assert 'All online data migrations are complete.' in out


def test_max_count_stops_early_and_exits_1_until_done(registered, capsys):
    first, second = RowsToMigrate(30), RowsToMigrate(10)
    registered(('first', first), ('second', second))
    assert online_migrations.run_and_report(25) == 1
    assert first.batches == [25] and first.left == 5 and second.batches == []
    out = capsys.readouterr().out
    assert 'not run' in out and 'remain' in out
    assert online_migrations.run_and_report(25) == 0  # rerun: 5 + 10 rows, within budget
    assert first.left == 0 and second.left == 0


def test_failing_migration_is_reported_and_others_still_run(registered, capsys):
    broken, fine = RowsToMigrate(100, fail_after=1), RowsToMigrate(5)
    registered(('broken', broken), ('fine', fine))
    assert online_migrations.run_and_report(None) == 1
    assert fine.left == 0
    assert 'error: row 7 cannot be read' in capsys.readouterr().out


def test_nothing_registered_is_complete_through_the_command(tmp_path):
    config = tmp_path / 'anvil.conf'
    config.write_text('[database]\nconnection = sqlite:///%s\n' % (tmp_path / 'x.sqlite'))
    script = os.path.join(os.path.dirname(sys.executable), 'anvil-dbsync')
    command = [script] if os.path.exists(script) else [sys.executable, '-m', 'anvil.cmd.dbsync']
    run = subprocess.run(command + ['--config-file', str(config), 'online_data_migrations',
                                    '--max-count', '10'],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'Total needed' in run.stdout and 'complete' in run.stdout
    bad = subprocess.run(command + ['--config-file', str(config), 'online_data_migrations',
                                    '--max-count', '0'],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and 'positive integer' in bad.stderr
