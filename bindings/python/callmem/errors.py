"""callmem's statuses and the exception raised for each (docs/error-handling.md)."""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, List, Optional, Type


class Status(enum.IntEnum):
    """The C ABI's statuses (CALLMEM_OK, CALLMEM_E*): explicit values, never renumbered."""

    OK = 0
    ERROR = -1
    INVALID = -2
    NOT_FOUND = -3
    CONFLICT = -4
    INSUFFICIENT_CREDITS = -5
    BUSY = -6
    STORE = -7


_HTTP = {0: 200, -1: 500, -2: 400, -3: 404, -4: 409, -5: 402, -6: 503, -7: 500}


class CallmemError(Exception):
    """A failed callmem operation. The operation wrote nothing.

    Attributes:
        status: the C status (a Status; None for errors raised by the bindings
            themselves, such as ClosedError).
        http_status: its HTTP twin (400, 404, 409, 402, 503 or 500).
        message: the error document's message.
        issues: the field issues, ``[{"path": [...], "message": "..."}]``
            (non-empty for InvalidRequest).
        document: the whole error document, as the C ABI gave it.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = Status.ERROR,
        document: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.status: Optional[Status] = Status(status) if status is not None else None
        self.http_status: Optional[int] = _HTTP.get(status, 500) if status is not None else None
        self.message = message
        self.document: Dict[str, Any] = document if document is not None else {"message": message}
        details = self.document.get("details")
        issues = details.get("issues") if isinstance(details, dict) else None
        self.issues: List[Dict[str, Any]] = list(issues) if isinstance(issues, list) else []
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = self.message
        if self.issues:
            text += ": " + "; ".join(
                ".".join(str(p) for p in issue.get("path", [])) + ": " + str(issue.get("message", ""))
                for issue in self.issues
            )
        return text


class InvalidRequest(CallmemError):
    """CALLMEM_EINVALID (400): bad JSON, type, field, enum, tenant id or limit; see ``issues``."""


class NotFound(CallmemError):
    """CALLMEM_ENOTFOUND (404): unknown customer, call or merge."""


class Conflict(CallmemError):
    """CALLMEM_ECONFLICT (409): a call_id or key reused with another request."""


class InsufficientCredits(CallmemError):
    """CALLMEM_ECREDITS (402): billing on and the balance below the price."""


class Busy(CallmemError):
    """CALLMEM_EBUSY (503): the write lock was not free in time; safe to retry."""


class StoreError(CallmemError):
    """CALLMEM_ESTORE (500): the store failed (I/O, corrupt file, disk full)."""


class ClosedError(CallmemError):
    """The CallMemory was closed (raised by the bindings; ``status`` is None)."""

    def __init__(self, message: str = "the CallMemory is closed") -> None:
        super().__init__(message, status=None)


_BY_STATUS: Dict[int, Type[CallmemError]] = {
    Status.ERROR: CallmemError,
    Status.INVALID: InvalidRequest,
    Status.NOT_FOUND: NotFound,
    Status.CONFLICT: Conflict,
    Status.INSUFFICIENT_CREDITS: InsufficientCredits,
    Status.BUSY: Busy,
    Status.STORE: StoreError,
}


def error_for(status: int, document: Optional[bytes], fallback_message: str = "") -> CallmemError:
    """The exception for a failed call, from its status and the error document it returned."""
    doc: Optional[Dict[str, Any]] = None
    if document:
        try:
            parsed = json.loads(document)
            doc = parsed if isinstance(parsed, dict) else None
        except ValueError:
            doc = None
    message = str(doc.get("message", "")) if doc else ""
    if not message:
        message = fallback_message or f"callmem status {status}"
    if status not in _HTTP:  # not a status this version knows: the base class, its value kept
        return CallmemError(message, Status.ERROR, doc)
    return _BY_STATUS.get(status, CallmemError)(message, status, doc)
