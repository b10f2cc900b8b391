"""Injected statuses are final HTTP answers: 1xx and framing headers are refused, 204/205/304 carry no body."""

from __future__ import annotations

import http.client

import pytest
import requests

from mockservers.core.faults import Action, FaultPlan, FaultSpecError

pytestmark = pytest.mark.timeout(60)


def admin(mock, method, path, body):
    return requests.request(method, mock.url + path, json=body, timeout=5)


# -- refused at the edge: a 400 naming field, value and range; the plan stays as it was ------------------
@pytest.mark.parametrize("method, path, body, field, value", [
    ("PATCH", "/__admin/faults", {"failure_rate": 1, "failure_status": 100}, "failure_status", "100"),
    ("PUT", "/__admin/faults", {"failure_status": 199}, "failure_status", "199"),
    ("PATCH", "/__admin/faults", {"failure_status": 101}, "failure_status", "101"),
    ("POST", "/__admin/faults/routes", {"path": "/items", "action": 101}, "action status", "101"),
    ("POST", "/__admin/faults/routes", {"path": "/items", "action": "103"}, "action status", "103"),
    ("POST", "/__admin/faults/routes", {"path": "/items", "action": {"kind": "status", "status": 100}},
     "status", "100"),
    ("POST", "/__admin/faults/routes", {"path": "/items", "sequence": [503, {"status": 102, "body": "x"}]},
     "status", "102"),
    ("PATCH", "/__admin/faults", {"outage": {"duration_s": 5, "action": 100}}, "action status", "100"),
    ("PATCH", "/__admin/faults", {"flapping": {"up_s": 1, "down_s": 1, "action": {"status": 150}}}, "status", "150"),
])
def test_an_informational_status_is_refused_with_field_value_and_range(echo, method, path, body, field, value):
    before = echo.faults.to_dict()
    answer = admin(echo, method, path, body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert f"{field} must be a whole number from 200 to 599" in error
    assert f"got {value}" in error and "1xx" in error
    assert echo.faults.to_dict() == before


@pytest.mark.parametrize("header", ["Content-Length", "transfer-encoding", "TRANSFER-ENCODING"])
def test_an_injected_framing_header_is_refused(echo, header):
    answer = admin(echo, "POST", "/__admin/faults/routes",
                   {"path": "/items", "action": {"status": 503, "headers": {header: "5"}}})
    assert answer.status_code == 400
    assert header in answer.json()["error"] and "frames" in answer.json()["error"]
    assert echo.faults.routes == []


def test_python_api_refuses_an_informational_failure_status():
    plan = FaultPlan()
    with pytest.raises(FaultSpecError, match="failure_status must be a whole number from 200 to 599"):
        plan.set_failure_rate(1.0, status=100)
    with pytest.raises(FaultSpecError, match="from 200 to 599"):
        Action.parse(101)
    assert plan.failure_status == 503 and plan.failure_rate == 0


# -- 204, 205 and 304 are sent without a body, and the connection stays usable --------------------------
def exchange_twice(mock, first_status: int):
    """Two requests on one kept-alive connection: the first faulted with ``first_status``, the second real."""
    mock.faults.add_route_fault("/items", {"kind": "status", "status": first_status, "body": "not sent"}, times=1)
    return two_requests(mock)


def two_requests(mock):
    """Two ``GET /items`` on one connection: both answers, and whether the connection was kept."""
    connection = http.client.HTTPConnection(mock.host, mock.port, timeout=5)
    try:
        connection.request("GET", "/items")
        first = connection.getresponse()
        first_body, first_headers = first.read(), dict(first.getheaders())
        socket_used = connection.sock
        connection.request("GET", "/items")
        second = connection.getresponse()
        second_body = second.read()
        return first.status, first_headers, first_body, second.status, second_body, connection.sock is socket_used
    finally:
        connection.close()


@pytest.mark.parametrize("status", [204, 304])
def test_no_content_statuses_have_no_body_and_keep_the_connection(echo, status):
    first, headers, body, second, second_body, same_socket = exchange_twice(echo, status)
    assert (first, body) == (status, b"")
    assert "content-length" not in {name.lower() for name in headers}
    assert second == 200 and b'"total":40' in second_body.replace(b" ", b"")
    assert same_socket


def test_reset_content_is_sent_with_an_empty_body(echo):
    first, headers, body, second, second_body, same_socket = exchange_twice(echo, 205)
    assert (first, body) == (205, b"")
    assert {name.lower(): value for name, value in headers.items()}["content-length"] == "0"
    assert second == 200 and same_socket


def test_failure_rate_with_204_keeps_the_connection(echo):
    echo.faults.update({"failure_rate": 0.5, "failure_status": 204, "seed": 3})
    decisions = [d["outcome"] for d in echo.faults.preview_failures(2)]
    assert decisions == ["fail", "pass"]
    first, headers, body, second, second_body, same_socket = two_requests(echo)
    assert (first, body, second) == (204, b"", 200)
    assert "content-length" not in {name.lower() for name in headers}
    assert b'"total":40' in second_body.replace(b" ", b"") and same_socket
