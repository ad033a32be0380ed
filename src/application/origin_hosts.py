"""Which hosts originals may come from, and which of them may live on internal addresses."""

from __future__ import annotations

from application.tenant_domains import TenantDomains
from domain.policy import HostPolicy, NamingHostPolicy


class OriginHosts(HostPolicy):
    """The operator's allow-list (`VALIDATION_ALLOWED_DOMAINS`) and the tenants' domains.

    A host is permitted when either list allows it (exactly or as a subdomain). Only the
    operator's list can name a host explicitly, and only an exact entry does: such a host may
    resolve to a loopback or private address, every other host must resolve to public ones.
    """

    def __init__(self, allowed: NamingHostPolicy, tenants: TenantDomains | None = None) -> None:
        self._allowed = allowed
        self._tenants = tenants

    def permits(self, host: str) -> bool:
        if self._allowed.permits(host):
            return True
        return self._tenants is not None and self._tenants.permits(host)

    def names_explicitly(self, host: str) -> bool:
        """True when the operator's allow-list names `host` exactly (by name or address)."""
        return self._allowed.names(host)
