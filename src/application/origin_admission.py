"""Whether the configured origin may be asked at all, decided when the allow-list changes."""

from __future__ import annotations

import logging

from domain.policy import HostPolicy

log = logging.getLogger(__name__)


class OriginAdmission:
    """The origin's host (BACKEND_URL) against the allow-list, checked when the node starts and
    again whenever the list can have changed (a settings reload, a tenant-domain refresh),
    not on every request. While it is refused, image requests answer 400 HOST_NOT_ALLOWED.
    """

    def __init__(self, host: str, hosts: HostPolicy) -> None:
        self._host = host
        self._hosts = hosts
        self.permitted = False
        self.recheck()

    def recheck(self) -> None:
        """Decide again whether the origin is permitted."""
        permitted = self._hosts.permits(self._host)
        if not permitted:
            log.warning("the origin host %s is not in the allow-list", self._host or "(local)")
        self.permitted = permitted
