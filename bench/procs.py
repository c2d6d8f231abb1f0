"""Resident memory and CPU time of processes, read from /proc."""

import os

_TICK = os.sysconf('SC_CLK_TCK')


def children(pid):
    """Direct children of ``pid`` (every thread's list)."""
    kids = []
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
                kids.extend(int(k) for k in f.read().split())
    except OSError:
        pass
    return sorted(set(kids))


def rss_mib(pid):
    """VmRSS of ``pid`` in MiB, or None when it is gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """utime + stime of ``pid`` (its threads included), or 0.0 when it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def pids_named(fragment):
    """Pids whose command line contains ``fragment`` (e.g. RabbitMQ's beam.smp)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as f:
                if fragment.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def pids_of_user(user):
    """Pids owned by ``user`` (PostgreSQL's server and backends)."""
    import pwd
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return []
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                if os.stat('/proc/%s' % entry).st_uid == uid:
                    found.append(int(entry))
            except OSError:
                pass
    return found


class CpuMeter:
    """CPU seconds of named groups of processes between ``start()`` and ``stop()``."""

    def __init__(self, groups):
        self.groups = groups  # {name: callable returning pids}
        self._before = {}

    def _sample(self):
        return {name: sum(cpu_seconds(p) for p in pids()) for name, pids in self.groups.items()}

    def start(self):
        self._before = self._sample()

    def stop(self):
        after = self._sample()
        return {name: max(0.0, after[name] - self._before.get(name, 0.0)) for name in after}
