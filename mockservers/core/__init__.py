"""The shared mock-server mechanism: server lifecycle, fault plan, journal, admin API."""

from .admin import AdminApi, AdminError
from .faults import Action, FaultPlan, FaultSpecError, RouteFault
from .journal import JournalEntry, RequestJournal
from .server import MockServer, MockServerError

__all__ = ["Action", "AdminApi", "AdminError", "FaultPlan", "FaultSpecError", "JournalEntry", "MockServer",
           "MockServerError", "RequestJournal", "RouteFault"]
