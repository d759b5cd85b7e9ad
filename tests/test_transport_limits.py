"""Issue 14, the transport: bodies counted whatever their encoding, slow senders, fair shares, no shared socket.

Every test talks to a real `coopgraph serve` over raw sockets or `requests`, on 127.0.0.1.
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time

import pytest
import requests

from conftest import MINI, LiveServer, make_settings
from coopgraph.knowledge.build import build
from test_contributions import CONTRIBUTORS, pairing

TOKEN = "tok-ada"
UPLOAD_LIMIT = 200_000
QUERY_LIMIT = 20_000
CHEAP = "SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def served_folder(tmp_path_factory):
    """A store folder of the miniature project shared by this module's servers (they do not write to it)."""
    path = tmp_path_factory.mktemp("transport") / "store"
    build(make_settings(MINI, store=str(path)))[0].close()
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home folder of the servers' own, to see what gunicorn leaves in it."""
    return tmp_path_factory.mktemp("home")


def serve(served_folder, home, *, workers="2", threads="4", **env):
    settings = {
        "COOPGRAPH_CONTRIBUTOR_TOKENS": json.dumps(CONTRIBUTORS),
        "COOPGRAPH_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
        "COOPGRAPH_MAX_REQUEST_BYTES": str(QUERY_LIMIT),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": "",
        **env,
    }
    return LiveServer(
        ["serve", "--store", str(served_folder), "--workers", workers, "--threads", threads], env=settings, cwd=MINI
    )


@pytest.fixture(scope="module")
def server(served_folder, home):
    live = serve(served_folder, home)
    yield live
    live.stop()


def chunked_request(
    server, method: str, target: str, body: bytes, content_type: str, headers: dict | None = None, chunk: int = 50_000
) -> tuple[int, dict, bytes]:
    """Send ``body`` with ``Transfer-Encoding: chunked`` over a raw socket; return status, headers, body."""
    head = [
        f"{method} {target} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked",
        "Accept: application/json",
        "Connection: close",
    ]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        try:
            for start in range(0, len(body), chunk):
                piece = body[start : start + chunk]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the whole body is sent
        answer = b""
        while len(answer) < 10_000_000:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, fields, payload


def padded(data: bytes, size: int) -> bytes:
    """``data`` followed by Turtle comment lines up to ``size`` bytes: still one valid document."""
    line = b"# padding to make the document large " + b"." * 60 + b"\n"
    return data + line * ((size - len(data)) // len(line) + 1)


def contributions(server) -> list[str]:
    answer = requests.get(server.url + "/api/contributions", timeout=10)
    assert answer.status_code == 200, answer.text
    return sorted(c["id"] for c in answer.json()["contributions"])


# --- bodies -------------------------------------------------------------------------------------


def test_a_chunked_contribution_over_the_limit_is_413_and_nothing_is_stored(server):
    before = contributions(server)
    body = padded(pairing("chunked-big", "Chunked big"), UPLOAD_LIMIT + 150_000)
    status, headers, payload = chunked_request(
        server, "POST", "/api/contributions?description=big", body, "text/turtle", {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 413, payload
    error = json.loads(payload)
    assert error["error"] == "payload-too-large" and error["status"] == 413
    assert contributions(server) == before


def test_a_chunked_contribution_just_over_the_upload_limit_is_413(server):
    """Under the site's largest body (an upload in a form) but over the upload limit: refused by its part."""
    before = contributions(server)
    body = padded(pairing("chunked-edge", "Chunked edge"), UPLOAD_LIMIT + 10)
    status, _, payload = chunked_request(
        server, "POST", "/api/contributions?description=edge", body, "text/turtle", {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 413, payload
    assert contributions(server) == before


def test_a_chunked_contribution_under_the_limit_is_stored_whole(server):
    body = padded(pairing("chunked-small", "Chunked small"), UPLOAD_LIMIT - 1_000)
    status, _, payload = chunked_request(
        server,
        "POST",
        "/api/contributions?description=small",
        body,
        "text/turtle",
        {"Authorization": f"Bearer {TOKEN}"},
        chunk=7_001,
    )
    assert status == 201, payload
    accepted = json.loads(payload)
    assert accepted["bytes"] == len(body)
    assert accepted["id"] in contributions(server)


def test_chunked_validation_over_the_limit_is_413(server):
    body = padded(pairing("validate-big", "Validate big"), UPLOAD_LIMIT * 3)
    status, _, payload = chunked_request(server, "POST", "/api/validate", body, "text/turtle")
    assert status == 413, payload
    assert json.loads(payload)["error"] == "payload-too-large"


def test_chunked_validation_under_the_limit_is_validated(server):
    status, _, payload = chunked_request(server, "POST", "/api/validate", pairing("v", "V"), "text/turtle")
    assert status == 200, payload
    assert json.loads(payload)["conforms"] is True


def test_a_chunked_multipart_upload_over_the_limit_is_413(server):
    boundary = "----coopgraph-test"
    document = padded(pairing("multipart-big", "Multipart big"), UPLOAD_LIMIT + 100)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.ttl"\r\n'
            f"Content-Type: text/turtle\r\n\r\n"
        ).encode()
        + document
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, payload = chunked_request(
        server, "POST", "/api/validate", body, f"multipart/form-data; boundary={boundary}"
    )
    assert status == 413, payload


def test_a_chunked_query_over_the_request_limit_is_413_and_under_it_is_answered(server):
    big = CHEAP + " #" + "x" * QUERY_LIMIT
    status, _, payload = chunked_request(server, "POST", "/sparql", big.encode(), "application/sparql-query")
    assert status == 413, payload
    form = ("query=" + requests.utils.quote(big)).encode()
    status, _, payload = chunked_request(server, "POST", "/sparql", form, "application/x-www-form-urlencoded")
    assert status == 413, payload
    status, _, payload = chunked_request(server, "POST", "/sparql", CHEAP.encode(), "application/sparql-query")
    assert status == 200, payload
    assert len(json.loads(payload)["results"]["bindings"]) == 2


# --- the control socket -------------------------------------------------------------------------


def test_two_servers_at_once_share_no_control_socket(served_folder, home, server):
    second = serve(served_folder, home, workers="1", threads="2")
    try:
        for live in (server, second):
            assert requests.get(live.url + "/health", timeout=10).status_code == 200
        leftovers = [p for p in home.rglob("*") if "gunicorn" in p.name or p.is_socket()]
        assert leftovers == [], "gunicorn's control socket (shared per user) must not be created"
    finally:
        second.stop()


# --- slow senders -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_hundred_slow_senders_do_not_hold_the_threads_others_need(server):
    """100 connections sending a byte a second for 30 s; a normal client's p99 stays under 1 s (issue 14)."""
    request_bytes = f"GET /sparql?query={requests.utils.quote(CHEAP)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    senders: list[list] = []  # [socket, bytes sent]

    def open_sender():
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.setblocking(False)
        return [sock, 0]

    for _ in range(100):
        senders.append(open_sender())
    timings, answered, closed_by_server = [], 0, 0
    session = requests.Session()
    ends = time.monotonic() + 30
    next_byte = time.monotonic()
    while time.monotonic() < ends and len(timings) < 10_000:
        if time.monotonic() >= next_byte:
            next_byte += 1
            for index, sender in enumerate(senders):
                sock, sent = sender
                try:
                    sock.send(request_bytes[sent % (len(request_bytes) - 4) :][:1])
                    sender[1] += 1
                except OSError:  # the server closed it (too slow): a new slow sender takes its place
                    closed_by_server += 1
                    sock.close()
                    senders[index] = open_sender()
        started = time.monotonic()
        answer = session.get(server.url + "/sparql", params={"query": CHEAP}, timeout=10)
        timings.append(time.monotonic() - started)
        answered += answer.status_code == 200
        time.sleep(0.05)
    for sock, _ in senders:
        sock.close()
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    assert answered == len(timings) and len(timings) > 100
    assert p99 < 1.0, f"p99 {p99:.3f} s over {len(timings)} requests"


def test_a_request_sent_too_slowly_gets_408_and_is_closed(served_folder, home):
    live = serve(served_folder, home, workers="1", threads="2", COOPGRAPH_REQUEST_READ_TIMEOUT="1")
    try:
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\n")
            answer = b""
            while len(answer) < 100_000:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "request-timeout"
        # kept-alive connections and pipelined requests still work
        with requests.Session() as session:
            assert all(session.get(live.url + "/health", timeout=10).status_code == 200 for _ in range(5))
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(
                b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while len(answer) < 100_000:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        assert answer.count(b"HTTP/1.1 200") == 2, answer
    finally:
        live.stop()


# --- fair sharing -------------------------------------------------------------------------------


def test_runaway_queries_of_one_client_leave_room_for_another(served_folder, home):
    """Eight runaway queries from one client: beyond its share they get 429; a light client is answered."""
    live = serve(
        served_folder,
        home,
        COOPGRAPH_QUERY_TIMEOUT="3",
        COOPGRAPH_CLIENT_WAIT_SECONDS="1",
        COOPGRAPH_MAX_QUERIES_PER_CLIENT="2",
        COOPGRAPH_TRUSTED_PROXIES="127.0.0.1",
    )
    try:

        def runaway(_):
            return requests.get(
                live.url + "/sparql",
                params={"query": RUNAWAY},
                timeout=30,
                headers={"X-Forwarded-For": "192.0.2.1", "Connection": "close"},
            )

        def light():
            return requests.get(
                live.url + "/sparql",
                params={"query": CHEAP},
                timeout=30,
                headers={"X-Forwarded-For": "192.0.2.2", "Connection": "close"},
            )

        workers_before = {light().headers["X-Coopgraph-Worker"] for _ in range(10)}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            heavy = [pool.submit(runaway, i) for i in range(8)]
            time.sleep(0.3)
            light_answers = []
            while not all(f.done() for f in heavy) and len(light_answers) < 200:
                light_answers.append(light())
            heavy_answers = [f.result() for f in heavy]
        refused = [a for a in heavy_answers if a.status_code == 429]
        assert refused, [a.status_code for a in heavy_answers]
        assert all(int(a.headers["Retry-After"]) >= 1 and a.json()["error"] == "too-many-requests" for a in refused)
        assert {a.status_code for a in heavy_answers} <= {429, 503}
        assert light_answers and all(a.status_code == 200 for a in light_answers), [
            a.status_code for a in light_answers
        ]
        # the runaway queries retired their workers (recycle isolation): fresh ones answer now
        deadline = time.monotonic() + 30
        workers_after: set = set()
        while time.monotonic() < deadline and not workers_after - workers_before:
            answer = light()
            assert answer.status_code == 200
            workers_after.add(answer.headers["X-Coopgraph-Worker"])
        assert workers_after - workers_before, "a worker that ran a runaway query is replaced"
        live.log.seek(0)
        log = live.log.read()
        assert "retiring worker" in log and "Traceback" not in log
    finally:
        live.stop()


def test_who_a_client_is(mini_settings):
    """Configured tokens are clients of their own; X-Forwarded-For counts only from a trusted proxy."""
    from flask import Flask

    from coopgraph.web.fairshare import ClientIdentity

    identify = ClientIdentity(
        mini_settings.with_overrides(contributor_tokens=CONTRIBUTORS, trusted_proxies="10.0.0.0/8")
    )
    app = Flask(__name__)

    def who(remote: str, **headers) -> str:
        with app.test_request_context(environ_base={"REMOTE_ADDR": remote}, headers=headers):
            return identify()

    assert who("192.0.2.9", Authorization=f"Bearer {TOKEN}").startswith("token:")
    assert who("192.0.2.9", Authorization="Bearer made-up") == "address:192.0.2.9"
    assert who("192.0.2.9", **{"X-Forwarded-For": "198.51.100.1"}) == "address:192.0.2.9"
    assert who("10.1.2.3", **{"X-Forwarded-For": "198.51.100.1, 10.0.0.5"}) == "address:198.51.100.1"
