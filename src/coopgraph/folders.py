"""Put a finished folder in the place of an old one (a built store, a release).

The new folder is written beside its place and renamed into it when complete, so a
reader finds either the old folder or the new one, never half of either.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an existing ``target`` is moved aside first, then removed."""
    retired = target.with_name(f".{target.name}.previous")
    if retired.exists():
        shutil.rmtree(retired)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
