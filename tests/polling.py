"""Polling a condition with a deadline: the only way tests wait (no fixed sleeps)."""

import time


def wait_for(predicate, timeout=5.0, interval=0.01, what='condition'):
    """Poll ``predicate`` until it returns a true value, and return that value.

    Raises AssertionError naming ``what`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('%s not met within %s s' % (what, timeout))
        time.sleep(interval)
