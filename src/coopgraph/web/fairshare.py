"""Fair sharing of the query evaluators: each client may have only so many queries under way at once.

Why: a worker has a few threads, and a query holds one for up to ``query_timeout``.
Eight slow queries from one client (one per thread) left no thread for anybody else.
Every query the site evaluates (the SPARQL endpoint, stored queries, pages) goes
through the store, so the store is where the count is kept: :class:`FairShareStore`
wraps it. A client past its limit waits (a bounded time) for one of its own queries to
finish; only one such waiter at a time per client, since a waiter holds a thread too.
The others, and a waiter whose turn does not come, get 429 with ``Retry-After`` (web.errors
adds the header to any error that carries ``retry_after``).

A client is a configured API token if the request carries one (so people behind one
address are told apart), else the remote address; ``X-Forwarded-For`` names the
client only when the request comes from a configured trusted proxy. Unknown tokens
count as their address: inventing tokens gives no extra share.

The counts are per web worker (a worker's threads share them; workers do not talk to
each other), so with N workers a client may have N times the limit under way.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import threading
import time
from collections.abc import Iterator

from flask import has_request_context, request

from ..config import Settings
from ..errors import ConfigError, TooManyRequests


class QueryGate:
    """Counts the queries each client has under way and admits, queues or refuses the next one."""

    def __init__(self, per_client: int, wait_seconds: float, waiters_per_client: int = 1):
        self.per_client = per_client
        self.wait_seconds = wait_seconds
        self.waiters_per_client = waiters_per_client
        self.running: dict[str, int] = {}
        self.waiting: dict[str, int] = {}
        self._changed = threading.Condition()
        self._held = threading.local()

    @contextlib.contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one of ``client``'s evaluation slots for the block; raise 429 if none comes free in time.

        Reentrant within a thread: a query method that calls another counts once.
        """
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self._acquire(client)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._changed:
                self.running[client] -= 1
                if not self.running[client]:
                    del self.running[client]
                self._changed.notify_all()

    def _acquire(self, client: str) -> None:
        with self._changed:
            if self.running.get(client, 0) < self.per_client:
                self.running[client] = self.running.get(client, 0) + 1
                return
            if self.waiting.get(client, 0) >= self.waiters_per_client:
                raise self._refusal()
            self.waiting[client] = self.waiting.get(client, 0) + 1
            deadline = time.monotonic() + self.wait_seconds
            try:
                while self.running.get(client, 0) >= self.per_client:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._refusal()
                    self._changed.wait(left)
                self.running[client] = self.running.get(client, 0) + 1
            finally:
                self.waiting[client] -= 1
                if not self.waiting[client]:
                    del self.waiting[client]

    def _refusal(self) -> TooManyRequests:
        return TooManyRequests(
            f"you already have {self.per_client} queries under way here; the server shares its time between clients",
            retry_after=max(1, math.ceil(self.wait_seconds)),
            hint="Wait for your running queries to finish before sending more.",
        )


class FairShareStore:
    """A store whose query methods hold a slot of the current request's client while they run.

    Counted: queries a client asks for (``/sparql``, and every GET: stored queries, pages).
    Not counted: the queries a submission or a validation runs for itself (they are
    bounded by ``validation_timeout`` and the one writer), nor anything outside a request
    (the command line, start-up). Everything else goes to the wrapped store as it is.
    """

    def __init__(self, store, gate: QueryGate, identify):
        self.wrapped = store
        self.gate = gate
        self.identify = identify

    def __getattr__(self, name):
        return getattr(self.wrapped, name)

    def _slot(self):
        if not has_request_context() or (request.method not in ("GET", "HEAD") and request.path != "/sparql"):
            return contextlib.nullcontext()
        return self.gate.slot(self.identify())

    def query(self, *args, **kwargs):
        with self._slot():
            return self.wrapped.query(*args, **kwargs)

    def query_serialized(self, *args, **kwargs):
        with self._slot():
            return self.wrapped.query_serialized(*args, **kwargs)

    def select(self, *args, **kwargs):
        with self._slot():
            return self.wrapped.select(*args, **kwargs)

    def ask(self, *args, **kwargs):
        with self._slot():
            return self.wrapped.ask(*args, **kwargs)


class ClientIdentity:
    """Works out who sent the current request (see the module's docstring)."""

    def __init__(self, settings: Settings):
        self.tokens = set(settings.contributor_tokens) | set(settings.maintainer_tokens)
        try:
            self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        except ValueError as exc:
            raise ConfigError(
                f"setting 'trusted_proxies' has an unusable entry: {exc}",
                hint="List addresses or networks such as 10.0.0.1 or 10.0.0.0/8.",
            ) from exc

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip() in self.tokens:
            return "token:" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()[:16]
        address = request.remote_addr or "unknown"
        if self.proxies and self._trusted(address):
            # the nearest hop that is not one of ours is the client
            for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
                if hop.strip() and not self._trusted(hop):
                    return "address:" + hop.strip()
        return "address:" + address


def guard_queries(store, settings: Settings):
    """Return ``store`` wrapped so queries count against their client's limit (as is when the limit is off)."""
    if settings.max_queries_per_client <= 0:
        return store
    gate = QueryGate(settings.max_queries_per_client, settings.client_wait_seconds)
    return FairShareStore(store, gate, ClientIdentity(settings))
