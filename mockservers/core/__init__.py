"""The shared mock-server mechanism: server lifecycle, fault plan, middleware, journal, admin API, clock,
validation at the edge, redaction and ready bytes (answers rendered once per data version)."""

from .admin import AdminApi, AdminError, AdminTarget
from .clock import VirtualClock
from .faults import Action, FaultKind, FaultPlan, FaultSpecError, RouteFault
from .journal import JournalEntry, RequestJournal
from .readybytes import DataVersion, ReadyBytes, changes_data
from .redaction import Redactor
from .server import MockServer, MockServerError
from .validation import ValidationError

__all__ = ["Action", "AdminApi", "AdminError", "AdminTarget", "DataVersion", "FaultKind", "FaultPlan",
           "FaultSpecError", "JournalEntry", "MockServer", "MockServerError", "ReadyBytes", "Redactor",
           "RequestJournal", "RouteFault", "ValidationError", "VirtualClock", "changes_data"]
