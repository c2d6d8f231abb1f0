"""The read deadline of anvil-api's gunicorn worker, on a real socket pair."""

import socket
import time

import pytest
from gunicorn.http import errors as http_errors

from anvil.cmd import gunicorn_worker


@pytest.fixture
def pair():
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def test_data_within_the_deadline_is_read(pair):
    server, client = pair
    reader = gunicorn_worker._DeadlineReader(server, ('127.0.0.1', 1), timeout=5)
    client.sendall(b'GET / HTTP/1.1\r\n')
    assert reader.recv(100) == b'GET / HTTP/1.1\r\n'


def test_trickled_headers_end_at_the_deadline_as_a_closed_connection(pair):
    server, client = pair
    reader = gunicorn_worker._DeadlineReader(server, ('127.0.0.1', 1), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(http_errors.NoMoreData):
        while True:
            client.send(b'x')  # a byte per read: no single read ever waits long
            reader.recv(1)
    assert time.monotonic() - started >= 0.5


def test_a_stalled_body_raises_a_timeout(pair):
    server, client = pair
    reader = gunicorn_worker._DeadlineReader(server, ('127.0.0.1', 1), timeout=0.3)
    reader.headers_read = True
    with pytest.raises(gunicorn_worker.RequestReadTimeout):
        reader.recv(10)


def test_the_next_request_gets_a_new_deadline(pair):
    server, client = pair
    reader = gunicorn_worker._DeadlineReader(server, ('127.0.0.1', 1), timeout=0.3)
    client.sendall(b'a')
    reader.recv(1)
    reader.headers_read = True
    with pytest.raises(gunicorn_worker.RequestReadTimeout):
        reader.recv(1)
    reader.next_request()
    client.sendall(b'b')
    assert reader.recv(1) == b'b'
