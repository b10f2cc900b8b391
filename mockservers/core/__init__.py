"""The shared mock-server mechanism: server lifecycle, fault plan, middleware, journal, admin API, clock,
validation at the edge and redaction."""

from .admin import AdminApi, AdminError, AdminTarget
from .clock import VirtualClock
from .faults import Action, FaultKind, FaultPlan, FaultSpecError, RouteFault
from .journal import JournalEntry, RequestJournal
from .redaction import Redactor
from .server import MockServer, MockServerError
from .validation import ValidationError

__all__ = ["Action", "AdminApi", "AdminError", "AdminTarget", "FaultKind", "FaultPlan", "FaultSpecError",
           "JournalEntry", "MockServer", "MockServerError", "Redactor", "RequestJournal", "RouteFault",
           "ValidationError", "VirtualClock"]
