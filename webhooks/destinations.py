"""Where a webhook may go: a public address only, checked on every delivery.

The host is resolved and every address it resolves to must be public (not private,
loopback, link-local, shared, reserved, multicast or unspecified); the request then
connects to the address that was checked, so a DNS answer that changes between the
check and the connection (rebinding) cannot point it inside. Redirects are not
followed. NPP_WEBHOOK_ALLOW_PRIVATE lifts the rule for tests and local receivers.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeDestination(ValueError):
    pass


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for `url`, or UnsafeDestination."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("A webhook URL must be http:// or https:// with a host.")
    if parts.username or parts.password:
        raise UnsafeDestination("A webhook URL may not carry a user or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination("The webhook URL's port is not valid.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeDestination(f"{parts.hostname} does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not settings.NPP_WEBHOOK_ALLOW_PRIVATE:
        refused = [str(a) for a in addresses if not _public(a)]
        if refused:
            raise UnsafeDestination(
                f"{parts.hostname} resolves to an address that is not public "
                f"({', '.join(refused)})."
            )
    return parts.scheme, parts.hostname, port, str(addresses[0])


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` after checking where it goes; the response's status code."""
    scheme, host, port, address = resolve(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedTLS if scheme == "https" else _Pinned
    connection = connection_class(host, port, address, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # drain a little; the body is not kept
        return response.status
    finally:
        connection.close()
