"""The Redis server the tests own: started on a free port, its faults, stopped even after a kill."""

from __future__ import annotations

import socket

import pytest

from atest_support.redis_server import RedisServer, RedisServerError, find_server_binary


def answers(server: RedisServer, timeout_s: float = 0.3) -> bool:
    return server.answers(timeout_s)


def test_two_servers_get_different_free_ports_and_stop_cleanly():
    with RedisServer() as first, RedisServer() as second:
        assert first.port != second.port and answers(first) and answers(second)
        directory = first.directory
    assert not first.is_running() and first.directory is None and directory is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", first.port), timeout=1).close()


def test_a_server_whose_port_another_server_holds_does_not_count_as_started(own_redis):
    # the other server answers on that port: only the one started there may count as up
    assert RedisServer._serves(own_redis.port, own_redis.process.pid)
    assert not RedisServer._serves(own_redis.port, own_redis.process.pid + 1)
    second = RedisServer()
    second.port = own_redis.port  # as after a kill: it starts again on its own port, which is taken now
    try:
        with pytest.raises(RedisServerError, match="did not start"):
            second.start()
    finally:
        second.stop()
    assert answers(own_redis)


def test_a_killed_server_refuses_connections_and_starts_again_on_its_port_empty(own_redis):
    own_redis.command("SET", "k", "v")
    port = own_redis.port
    own_redis.kill()
    assert not answers(own_redis)
    own_redis.start()
    assert own_redis.port == port and answers(own_redis) and own_redis.command("GET", "k") is None


def test_a_frozen_server_answers_nothing_until_thawed(own_redis):
    own_redis.freeze()
    assert not answers(own_redis) and own_redis.is_running()
    own_redis.thaw()
    assert answers(own_redis)


def test_a_paused_server_answers_nothing_until_the_pause_ends(own_redis):
    own_redis.pause(1.0)
    assert not answers(own_redis, timeout_s=0.2)
    assert answers(own_redis, timeout_s=3.0)  # the pause ran its course


def test_debug_sleep_blocks_the_server(own_redis):
    sender = own_redis.debug_sleep(1.0)
    try:
        assert not answers(own_redis, timeout_s=0.2)
    finally:
        sender.join(5)
    assert answers(own_redis)


def test_a_frozen_server_is_thawed_and_stopped_by_stop():
    server = RedisServer().start()
    server.freeze()
    server.stop()
    assert not server.is_running()


def test_no_binary_is_a_clear_error(monkeypatch, tmp_path):
    missing = tmp_path / "redis-server"
    monkeypatch.setenv("REDIS_SERVER", str(missing))
    with pytest.raises(RedisServerError, match="not an executable file"):
        find_server_binary()


def test_the_url_of_a_server_never_started_is_an_error():
    with pytest.raises(RedisServerError, match="never started"):
        RedisServer().url


def test_the_binary_in_redis_server_is_used_when_set(monkeypatch):
    real = find_server_binary()
    monkeypatch.setenv("REDIS_SERVER", real)
    assert find_server_binary() == real


def test_without_the_package_the_binary_is_looked_up_on_path_and_its_absence_said(monkeypatch, tmp_path):
    import importlib.util

    monkeypatch.delenv("REDIS_SERVER", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RedisServerError, match="no Redis server binary"):
        find_server_binary()


def test_a_binary_that_does_not_start_is_reported_with_its_output():
    import sys

    server = RedisServer(binary=sys.executable)  # not a Redis server: it exits at once on --port
    try:
        with pytest.raises(RedisServerError, match="did not start"):
            server.start()
        with pytest.raises(RedisServerError, match="older than 7"):
            server.debug_sleep(1)
        with pytest.raises(RedisServerError, match="not running"):
            server.freeze()
    finally:
        server.stop()


def test_starting_a_running_server_changes_nothing(own_redis):
    process = own_redis.process
    assert own_redis.start() is own_redis and own_redis.process is process and repr(own_redis).endswith("running>")
