"""plex.tv's two encodings of one answer: XML by default, JSON when ``Accept`` names ``application/json``.

An answer is built as plain JSON data (what plex.tv's JSON is) and turned into XML by one rule:

- the root is an element named by the answer (``pin``, ``user``, ``resources``, ``errors``);
- scalar fields are attributes (booleans ``1``/``0``, ``None`` left out);
- an object field is a child element of that name (``<subscription .../>``);
- a list field ``things`` is a child ``<things>`` holding one ``<thing>`` per entry: objects as their
  element, scalars as ``<thing id="value"/>`` (``<entitlements><entitlement id="all"/></entitlements>``).

So ``GET /api/v2/resources`` is ``[{...}]`` in JSON and ``<resources><resource ...><connections>
<connection .../></connections></resource></resources>`` in XML, as plex.tv sends them.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from flask import Response

from .account import Connection, Pin, PlexTvAccount, Server, Token, iso_z

__all__ = ["reply", "error_reply", "pin_data", "user_data", "resource_data", "wants_json", "to_xml"]

XML_MIMETYPE = "application/xml;charset=utf-8"
JSON_MIMETYPE = "application/json;charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
QR_BASE = "https://plex.tv/api/v2/pins/qr/"


def wants_json(accept: str | None) -> bool:
    """plex.tv answers JSON only when ``Accept`` names ``application/json``."""
    return "application/json" in (accept or "").lower()


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _element(tag: str, data: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(data, list):
        for entry in data:
            element.append(_element(_singular(tag), entry) if isinstance(entry, (dict, list))
                           else ElementTree.Element(_singular(tag), {"id": _attribute(entry)}))
        return element
    for name, value in data.items():
        if isinstance(value, (dict, list)):
            element.append(_element(name, value))
        elif value is not None:
            element.set(name, _attribute(value))
    return element


def to_xml(root: str, data: Any) -> str:
    """``data`` as plex.tv's XML under the element ``root`` (the rule in the module doc)."""
    return XML_DECLARATION + ElementTree.tostring(_element(root, data), encoding="unicode") + "\n"


def reply(root: str, data: Any, accept: str | None, status: int = 200) -> Response:
    """The answer ``data`` in the encoding ``accept`` asks for."""
    if wants_json(accept):
        return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")), status=status,
                        content_type=JSON_MIMETYPE)
    return Response(to_xml(root, data), status=status, content_type=XML_MIMETYPE)


def error_reply(status: int, code: int, message: str, accept: str | None) -> Response:
    """plex.tv's error shape: ``{"errors": [{"code", "message", "status"}]}`` (XML: ``<errors><error .../>``)."""
    errors = [{"code": code, "message": message, "status": status}]
    if wants_json(accept):
        return Response(json.dumps({"errors": errors}, ensure_ascii=False), status=status, content_type=JSON_MIMETYPE)
    return Response(to_xml("errors", errors), status=status, content_type=XML_MIMETYPE)


# -- answers --------------------------------------------------------------------------------------
_LOCATION = {"code": "US", "european_union_member": False, "continent_code": "NA", "country": "United States",
             "city": "Springfield", "time_zone": "America/Chicago", "postal_code": "62701",
             "in_privacy_restricted_country": False, "subdivisions": "Illinois", "coordinates": "39.8, -89.6"}


def pin_data(pin: Pin) -> dict[str, Any]:
    """A PIN as ``POST /api/v2/pins`` and ``GET /api/v2/pins/{id}`` answer it."""
    return {"id": pin.id, "code": pin.code, "product": pin.product, "trusted": False, "qr": QR_BASE + pin.code,
            "clientIdentifier": pin.client_identifier, "location": dict(_LOCATION),
            "expiresIn": int(round(pin.expires_at - pin.created_at)), "createdAt": iso_z(pin.created_at),
            "expiresAt": iso_z(pin.expires_at), "authToken": pin.token, "newRegistration": None}


def user_data(account: PlexTvAccount, token: Token) -> dict[str, Any]:
    """The account as ``GET /api/v2/user`` (and a sign-in) answers it, carrying ``token``."""
    joined = int(account.created_at) - 86_400 * 400
    return {
        "id": account.id, "uuid": account.uuid, "username": account.username, "title": account.username,
        "email": account.email, "friendlyName": "", "locale": None, "confirmed": True, "joinedAt": joined,
        "emailOnlyAuth": False, "hasPassword": True, "protected": False,
        "thumb": f"https://plex.tv/users/{account.uuid}/avatar?c=1700000000", "authToken": token.value,
        "mailingListStatus": "active", "mailingListActive": False, "scrobbleTypes": "", "country": "US",
        "subscriptionDescription": None, "restricted": False, "anonymous": None, "home": False, "guest": False,
        "homeSize": 1, "homeAdmin": False, "maxHomeSize": 15, "rememberExpiresAt": int(account.clock()) + 14 * 86_400,
        "adsConsent": None, "adsConsentSetAt": None, "adsConsentReminderAt": None, "experimentalFeatures": False,
        "twoFactorEnabled": False, "backupCodesCreated": False,
        "subscription": {"active": False, "subscribedAt": None, "status": "Inactive", "paymentService": None,
                         "plan": None, "features": []},
        "profile": {"autoSelectAudio": True, "defaultAudioLanguage": "en", "defaultSubtitleLanguage": "en",
                    "autoSelectSubtitle": 0, "defaultSubtitleAccessibility": 0, "defaultSubtitleForced": 1},
        "entitlements": [], "roles": [], "services": [],
    }


def _connection_data(connection: Connection) -> dict[str, Any]:
    return {"protocol": "http", "address": connection.host, "port": connection.port, "uri": connection.uri,
            "local": connection.location == "local", "relay": connection.location == "relay", "IPv6": False}


def resource_data(server: Server, access_token: str, created_at: float, include_relay: bool) -> dict[str, Any]:
    """One server as ``GET /api/v2/resources`` lists it, with the access token of the caller's token."""
    connections = [c for c in server.connections if include_relay or c.location != "relay"]
    return {
        "name": server.name, "product": "Plex Media Server", "productVersion": server.product_version,
        "platform": server.platform, "platformVersion": server.platform_version, "device": "PC",
        "clientIdentifier": server.client_identifier, "createdAt": iso_z(server.created_at or created_at),
        "lastSeenAt": iso_z(created_at), "provides": "server", "ownerId": None, "sourceTitle": None,
        "publicAddress": "203.0.113.10", "accessToken": access_token, "owned": server.owned, "home": False,
        "synced": False, "relay": any(c.location == "relay" for c in server.connections),
        "presence": server.presence, "httpsRequired": False, "publicAddressMatches": True,
        "dnsRebindingProtection": False, "natLoopbackSupported": False,
        "connections": [_connection_data(c) for c in connections],
    }
