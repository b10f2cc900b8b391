"""Mock Uptime Kuma 1.23: Socket.IO monitor feed plus the status-page, metrics and badge HTTP routes.

``UptimeKumaMock`` serves both on one port on the shared mock-server mechanism
(HTTP faults, journal, ``/__admin/``) and adds socket faults of its own.
"""

from .data import MonitorStore, parse_status
from .mock import UptimeKumaMock
from .pump import SocketFaults

__all__ = ["MonitorStore", "SocketFaults", "UptimeKumaMock", "parse_status"]
