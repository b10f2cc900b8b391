"""Helpers shared by the keyword libraries (no keywords here)."""

from .waiting import wait_until, WaitTimeout

__all__ = ["wait_until", "WaitTimeout"]
