"""The request context follows work handed to another thread (log lines carry its id)."""

import threading

from oslo_context import context as oslo_context

from anvil.common.context import RequestContext, carried


def _in_thread(fn):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(fn()))
    thread.start()
    thread.join(5)
    return seen[0]


def test_carried_work_runs_under_the_submitters_context():
    RequestContext(request_id='req-aaaaaaaa-0000-0000-0000-000000000001')
    job = carried(lambda: oslo_context.get_current().request_id)
    RequestContext(request_id='req-aaaaaaaa-0000-0000-0000-000000000002')  # later: not this
    assert _in_thread(job) == 'req-aaaaaaaa-0000-0000-0000-000000000001'


def test_a_thread_without_carried_context_has_none_of_it():
    RequestContext(request_id='req-aaaaaaaa-0000-0000-0000-000000000003')
    assert _in_thread(lambda: getattr(oslo_context.get_current(), 'request_id', None)) != \
        'req-aaaaaaaa-0000-0000-0000-000000000003'
