"""PerProcess: one object per process, made again in a forked child, closed on reset."""

import itertools
import multiprocessing

from anvil.common.per_process import PerProcess


def test_made_once_per_process():
    counter = itertools.count()
    holder = PerProcess(lambda: next(counter))
    assert holder.current() is None
    assert holder.get() == 0
    assert holder.get() == 0
    assert holder.current() == 0


def _child_sees(holder, queue):
    queue.put((holder.current(), holder.get()))


def test_a_forked_child_makes_its_own():
    holder = PerProcess(lambda: multiprocessing.current_process().pid)
    parent_value = holder.get()
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    child = context.Process(target=_child_sees, args=(holder, queue))
    child.start()
    current, made = queue.get(timeout=30)
    child.join(timeout=30)
    assert current is None  # the parent's object is not the child's
    assert made == child.pid != parent_value
    assert holder.get() == parent_value


def test_reset_closes_and_forgets():
    closed = []
    counter = itertools.count()
    holder = PerProcess(lambda: next(counter))
    holder.reset(close=closed.append)
    assert closed == []  # nothing made, nothing to close
    holder.get()
    holder.reset(close=closed.append)
    assert closed == [0]
    assert holder.current() is None
    assert holder.get() == 1
