"""Devices a company runs: the inventory the readiness checks reason over.

The fields are the ones the NPA's measures need: what the device is and which firmware it runs
(end of life), when it was made (vendor rules that stop firmware for old models), whether it is
reachable from the internet and how it authenticates (VPN and RDP intrusions), and whether it is
used for telework.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import StringConstraints, field_validator, model_validator

from hogo.domain.display import Labelled
from hogo.domain.model import Frozen

AssetId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

#: Well-known ports of remote-access services that ransomware operators scan for.
RDP_PORTS: frozenset[int] = frozenset({3389})
REMOTE_ACCESS_PORTS: frozenset[int] = frozenset({22, 23, 443, 500, 1194, 1701, 1723, 3389, 4500, 5900, 10443})


class AssetKind(Labelled, StrEnum):
    vpn_gateway = "vpn_gateway"
    firewall = "firewall"
    router = "router"
    rdp_host = "rdp_host"
    server = "server"
    pc = "pc"
    nas = "nas"
    backup_target = "backup_target"
    other = "other"


#: Kinds whose compromise opens the network: the NPA's "VPN機器" and "リモートデスクトップ".
REMOTE_ACCESS_KINDS: frozenset[AssetKind] = frozenset(
    {AssetKind.vpn_gateway, AssetKind.firewall, AssetKind.router, AssetKind.rdp_host}
)
#: Kinds that hold the data a backup must protect.
DATA_HOLDING_KINDS: frozenset[AssetKind] = frozenset({AssetKind.server, AssetKind.nas, AssetKind.rdp_host})


class Ownership(StrEnum):
    """The NPA asks telework rules to tell company devices from private ones."""

    company = "company"
    private = "private"


class Asset(Frozen):
    id: AssetId
    kind: AssetKind
    name: ShortText = ""
    vendor: ShortText = ""
    model: ShortText = ""
    #: Firmware or OS version as the device reports it ("7.0.12", "2012-r2", "6.4.9").
    version: ShortText = ""
    #: endoflife.date product id ("fortios", "windows-server"); guessed from vendor/model if empty.
    eol_product: ShortText = ""
    manufactured_on: date | None = None
    purchased_on: date | None = None
    #: Ports reachable from the internet (empty: not exposed).
    exposed_ports: tuple[int, ...] = ()
    #: None means "not known", which the checks treat as not done.
    mfa: bool | None = None
    default_password_changed: bool | None = None
    last_patched_on: date | None = None
    owner: ShortText = ""
    telework: bool = False
    ownership: Ownership = Ownership.company

    @field_validator("exposed_ports")
    @classmethod
    def _ports(cls, ports: tuple[int, ...]) -> tuple[int, ...]:
        for port in ports:
            if not 0 < port < 65536:
                raise ValueError("port must be between 1 and 65535")
        return tuple(sorted(set(ports)))

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.manufactured_on and self.purchased_on and self.purchased_on < self.manufactured_on:
            raise ValueError("purchased_on is before manufactured_on")
        return self

    @property
    def internet_exposed(self) -> bool:
        return bool(self.exposed_ports)

    @property
    def exposes_rdp(self) -> bool:
        return any(p in RDP_PORTS for p in self.exposed_ports)

    @property
    def remote_access(self) -> bool:
        """Reachable from the internet as a way in: a VPN/RDP device, or a remote-access port."""
        if not self.internet_exposed:
            return False
        return self.kind in REMOTE_ACCESS_KINDS or any(p in REMOTE_ACCESS_PORTS for p in self.exposed_ports)

    @property
    def made_on(self) -> date | None:
        """The manufacture date, else the purchase date (the seed: 製造(購入)時期)."""
        return self.manufactured_on or self.purchased_on

    def label(self) -> str:
        return self.name or self.id
