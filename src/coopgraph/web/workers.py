"""The name of this worker process, sent as ``X-Coopgraph-Worker`` (see :mod:`.wsgi`).

With ``coopgraph serve --workers N`` the requests spread over N processes that share one
store; the header lets operators (and the tests) see which process answered without
giving away its process id: each process draws a random name the first time it answers.
"""

from __future__ import annotations

import os
import secrets

_names: dict[int, str] = {}


def worker_name() -> str:
    """This process's name (drawn after the fork, so every worker has its own)."""
    pid = os.getpid()
    name = _names.get(pid)
    if name is None:  # once per process: drawing random bytes is a system call
        name = _names.setdefault(pid, secrets.token_hex(4))
    return name
