"""A paperless document seen as an archive record: declaration and its frozen facts.

Once a dossier is filed its documents are *declared records*: the facts that make them
evidence (file, type, customer, project, category, 档号, retention, 密级, owner) no longer
change by any path. The one exception is an approved correction, which applies its change
inside ``correcting``.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

# Document ids an applying correction may change (set only inside ``correcting``).
_correcting: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "svc_archive_correcting",
    default=frozenset(),
)


@contextlib.contextmanager
def correcting(document_ids: Iterable[int]) -> Iterator[None]:
    """Let an approved correction change exactly these records' frozen facts."""
    token = _correcting.set(frozenset(document_ids))
    try:
        yield
    finally:
        _correcting.reset(token)


def being_corrected(document_id: int) -> bool:
    return document_id in _correcting.get()
