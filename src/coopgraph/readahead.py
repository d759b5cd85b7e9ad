"""A gunicorn worker that reads each request whole in its event loop before a thread serves it.

Why: gunicorn's threaded worker gives a connection to a thread as soon as its first
byte arrives, and the thread then waits for the rest. A client that sends a byte a
second held a thread for as long as it liked; a hundred such clients held every thread
of every worker, and the site stopped answering. Here the worker's selector loop reads
the request head and its body (up to the largest body the site takes) without blocking,
and a thread is handed the connection only once the request is all there. A request
not complete within ``read_timeout`` seconds gets 408 and the connection is closed.

Everything else (accepting, keep-alive, graceful stop and restart, the thread pool) is
gunicorn's own :class:`~gunicorn.workers.gthread.ThreadWorker`.
"""

from __future__ import annotations

import selectors
import time
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

#: Bytes taken from a socket per read.
RECV_BYTES = 64 * 1024
#: A request head longer than this is handed over as it is: gunicorn refuses it with its own error.
MAX_HEAD_BYTES = 64 * 1024

_TIMEOUT_BODY = (
    b'{"error": "request-timeout", "status": 408, '
    b'"message": "the request was not sent in time; the connection is closed."}'
)
TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)

READING, COMPLETE = "reading", "complete"


class RequestReader:
    """Collects the bytes of one request and says when the request is all there.

    "All there" is the head plus a body of the announced length, or a chunked body up to
    its last chunk. Anything this reader does not understand, and any body larger than
    ``max_body`` (whose sender gets 413 without being read on), counts as complete: the
    thread that takes over answers it with the error it deserves.
    """

    def __init__(self, max_body: int, deadline: float, data: bytes = b""):
        self.max_body = max_body
        self.deadline = deadline
        self.buffer = bytearray(data)
        self.head_end: int | None = None
        self.body_end: int | None = None  # for a body of known length
        self.chunk_at: int | None = None  # for a chunked body: where the next chunk line starts
        self.chunked_bytes = 0

    def feed(self, data: bytes) -> str:
        self.buffer += data
        return self.state()

    def state(self) -> str:
        if self.head_end is None and not self._read_head():
            return COMPLETE if len(self.buffer) > MAX_HEAD_BYTES else READING
        if self.body_end is not None:
            return COMPLETE if len(self.buffer) >= self.body_end else READING
        if self.chunk_at is not None:
            return self._read_chunks()
        return COMPLETE

    def _read_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        self.head_end = end + 4
        headers = {}
        for line in bytes(self.buffer[:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if headers.get(b"expect") == b"100-continue":
            return True  # the client waits for a word from the server before it sends the body
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            self.chunk_at = self.head_end
            return True
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            return True
        if 0 < length <= self.max_body:
            self.body_end = self.head_end + length
        return True

    def _read_chunks(self) -> str:
        while True:
            line_end = self.buffer.find(b"\r\n", self.chunk_at)
            if line_end < 0:
                return READING if len(self.buffer) - self.chunk_at <= 1024 else COMPLETE
            size_text = bytes(self.buffer[self.chunk_at : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return COMPLETE
            if size == 0:  # the last chunk, then trailer lines, then an empty line
                if self.buffer.startswith(b"\r\n", line_end + 2) or self.buffer.find(b"\r\n\r\n", line_end) >= 0:
                    return COMPLETE
                return READING
            self.chunked_bytes += size
            if self.chunked_bytes > self.max_body:
                return COMPLETE
            following = line_end + 2 + size + 2
            if len(self.buffer) < following:
                return READING
            self.chunk_at = following


class ReadAheadWorker(ThreadWorker):
    """gunicorn's threaded worker, with requests read in the event loop (see the module's docstring).

    ``read_timeout`` and ``max_body`` are set on a subclass made for the server's settings
    (:func:`worker_class`).
    """

    read_timeout = 10.0
    max_body = 5_000_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading: dict[TConn, RequestReader] = {}

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except BlockingIOError:
            return
        except ConnectionAbortedError:
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        self.read_request(conn)

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection brings its next request: read it here too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.read_request(conn)

    def finish_request(self, conn, fs):
        # A client may send its next request behind the last one: what gunicorn read ahead
        # goes through the same reading as a new request would.
        if (
            self.alive
            and not fs.cancelled()
            and fs.exception() is None
            and fs.result() is True
            and conn.parser is not None
            and conn.parser.unreader.buf.getvalue()
        ):
            self.read_request(conn, conn.parser.unreader.take_buffered())
            return
        super().finish_request(conn, fs)

    def read_request(self, conn: TConn, data: bytes = b"") -> None:
        """Read the request of ``conn`` in the event loop; hand it to a thread once complete."""
        conn.sock.setblocking(False)
        reader = RequestReader(self.max_body, time.monotonic() + self.read_timeout, data)
        if data and reader.state() == COMPLETE:
            self.hand_over(conn, reader)
            return
        self.reading[conn] = reader
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_bytes, conn))

    def on_request_bytes(self, conn: TConn, client) -> None:
        reader = self.reading[conn]
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self.stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        if reader.feed(data) == COMPLETE:
            self.stop_reading(conn)
            self.hand_over(conn, reader)

    def stop_reading(self, conn: TConn) -> None:
        del self.reading[conn]
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def hand_over(self, conn: TConn, reader: RequestReader) -> None:
        """Give the connection to a thread, the bytes read so far first in line for its parser."""
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(reader.buffer))
        conn.data_ready = True
        self.enqueue_req(conn)

    def murder_pending(self):
        """Close the connections whose request did not come in time (408 if they sent anything)."""
        super().murder_pending()
        now = time.monotonic()
        for conn, reader in list(self.reading.items()):
            if reader.deadline <= now:
                self.stop_reading(conn)
                self.nr_conns -= 1
                if reader.buffer:
                    try:
                        conn.sock.send(TIMEOUT_ANSWER)
                    except OSError:
                        pass
                conn.close()


def worker_class(read_timeout: float, max_body: int) -> type[ReadAheadWorker]:
    """A :class:`ReadAheadWorker` for these settings (gunicorn makes its workers from a class)."""
    return type("ReadAheadWorker", (ReadAheadWorker,), {"read_timeout": read_timeout, "max_body": max_body})
