"""Online data migrations: data changes run while every service keeps running.

A schema change that needs existing rows rewritten ships in two parts: an
alembic migration that only adds (``anvil-dbsync upgrade``), and an online
migration here that fills the new shape in batches while conductors of both
releases run. The release after next may rely on it having finished:
``anvil-dbsync online_data_migrations`` must report nothing left before the
next upgrade (docs/operations.md, "Upgrades").

A migration is ``fn(max_count) -> (needed, migrated)``: ``needed`` rows still
to migrate before this batch, ``migrated`` how many it did (at most
``max_count``). It must be idempotent and safe to run beside live services.
"""

#: (name, migration function), in the order they run. None yet.
MIGRATIONS = []

#: Rows per batch when the operator gives no --max-count.
DEFAULT_BATCH = 50


class MigrationReport:
    """Per migration: rows it found to migrate, rows migrated, and why it stopped early."""

    def __init__(self, names):
        self.rows = {name: {'needed': None, 'migrated': 0, 'error': None} for name in names}

    def record(self, name, needed, migrated):
        row = self.rows[name]
        if row['needed'] is None:  # the first batch sees everything left to do
            row['needed'] = needed
        row['migrated'] += migrated

    def remaining(self, name):
        """True unless the migration ran and migrated all it found, without error."""
        row = self.rows[name]
        return row['error'] is not None or row['needed'] is None \
            or row['migrated'] < row['needed']

    def complete(self):
        return not any(self.remaining(name) for name in self.rows)

    def table(self):
        """The report as a text table: migration, total needed, completed."""
        lines = [('Migration', 'Total needed', 'Completed')]
        for name, row in self.rows.items():
            needed = 'not run' if row['needed'] is None else str(row['needed'])
            done = 'error: %s' % row['error'] if row['error'] else str(row['migrated'])
            lines.append((name, needed, done))
        widths = [max(len(line[i]) for line in lines) for i in range(3)]
        rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
        cells = ['| ' + ' | '.join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + ' |'
                 for line in lines]
        return '\n'.join([rule, cells[0], rule] + cells[1:] + [rule])


def run(max_count=None, migrations=None):
    """Run ``migrations`` (default ``MIGRATIONS``) in batches; returns a MigrationReport.

    ``max_count`` None runs each migration until it has nothing left or stops
    making progress; otherwise at most ``max_count`` rows are migrated in
    all, and a migration the budget did not reach is reported "not run". A
    migration that raises is recorded as failed and not run again.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    report = MigrationReport([name for name, _fn in migrations])
    budget = max_count
    active = list(migrations)
    while active:
        still_active = []
        for name, fn in active:
            if budget is not None and budget <= 0:
                return report
            try:
                needed, migrated = fn(DEFAULT_BATCH if budget is None
                                      else min(budget, DEFAULT_BATCH))
            except Exception as e:  # reported; the operator fixes the cause and reruns
                report.rows[name]['error'] = str(e) or type(e).__name__
                continue
            report.record(name, needed, migrated)
            if budget is not None:
                budget -= migrated
            if 0 < migrated < needed:
                still_active.append((name, fn))
        active = still_active
    return report


def pending(migrations=None):
    """{name: rows still to migrate} of ``migrations`` (default ``MIGRATIONS``) that have some.

    Asks each migration for a batch of 0 rows: it counts, it changes nothing.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    counts = {name: fn(0)[0] for name, fn in migrations}
    return {name: needed for name, needed in counts.items() if needed}


def run_and_report(max_count=None):
    """Run the migrations and print their table; the exit code: 0 none remain, 1 some do."""
    report = run(max_count)
    print(report.table())
    if report.complete():
        print('All online data migrations are complete.')
        return 0
    print('Online data migrations remain: run this command again.')
    return 1
