"""Helpers shared by the keyword libraries (no keywords here).

- :mod:`.waiting`: the one waiting helper and the default ``timeout``;
- :mod:`.library`: the libraries' base class and shared context;
- :mod:`.settings`: the test settings every library builds clients with;
- :mod:`.credentials` / :mod:`.secret`: default credentials and Robot ``Secret`` values.

Nothing heavy is imported here: the system under test and the mocks are
imported by the keywords that use them, when they run.
"""

from .waiting import WaitTimeout, wait_until

__all__ = ["wait_until", "WaitTimeout"]
