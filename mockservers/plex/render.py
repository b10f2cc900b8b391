"""One reply tree, two encodings: Plex XML by default, Plex JSON on request.

A reply is a :class:`Node` tree rooted at ``MediaContainer``. Attribute values
keep their Python types until encoding: XML writes booleans as ``1``/``0``;
JSON keeps ``true``/``false`` and numbers, and groups children into lists by
tag (or by :attr:`Node.json_key`: movies and shows both go under ``Metadata``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from flask import Response

__all__ = ["Node", "to_json", "to_xml", "wants_json", "reply", "html_error"]

XML_MIMETYPE = "text/xml;charset=utf-8"
JSON_MIMETYPE = "application/json"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass
class Node:
    """An element: ``tag``, typed ``attrs`` (``None`` values are left out) and ``children``."""

    tag: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)
    json_key: str | None = None
    #: in JSON, one object rather than a list of them (Plex's ``"Meta": {...}``)
    json_single: bool = False


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _element(node: Node) -> ElementTree.Element:
    element = ElementTree.Element(node.tag, {k: _xml_value(v) for k, v in node.attrs.items() if v is not None})
    element.extend(_element(child) for child in node.children)
    return element


def to_xml(node: Node) -> str:
    """``<?xml ...?>`` and the tree, attributes in insertion order."""
    return XML_DECLARATION + ElementTree.tostring(_element(node), encoding="unicode") + "\n"


def _json_object(node: Node) -> dict[str, Any]:
    obj: dict[str, Any] = {k: v for k, v in node.attrs.items() if v is not None}
    for child in node.children:
        name = child.json_key or child.tag
        if child.json_single:
            obj[name] = _json_object(child)
        else:
            obj.setdefault(name, []).append(_json_object(child))
    return obj


def to_json(node: Node) -> str:
    """``{"MediaContainer": {...}}`` (or ``{tag: {...}}`` for another root)."""
    return json.dumps({node.tag: _json_object(node)}, ensure_ascii=False, separators=(",", ":"))


def wants_json(accept: str | None) -> bool:
    """Plex answers JSON only when ``Accept`` names ``application/json``."""
    return "application/json" in (accept or "").lower()


def reply(node: Node, accept: str | None, status: int = 200) -> Response:
    """The response for ``node`` in the encoding ``accept`` asks for."""
    if wants_json(accept):
        response = Response(to_json(node), status=status, content_type=JSON_MIMETYPE)
    else:
        response = Response(to_xml(node), status=status, content_type=XML_MIMETYPE)
    response.headers["X-Plex-Protocol"] = "1.0"
    response.headers["Cache-Control"] = "no-cache"
    return response


def html_error(status: int, detail: str | None = None) -> Response:
    """Plex's bare HTML error page, e.g. ``<h1>401 Unauthorized</h1>``; ``detail`` adds a ``<p>``."""
    title = _TITLES.get(status, "Error")
    body = f"<html><head><title>{title}</title></head><body><h1>{status} {title}</h1>"
    if detail:
        escaped = detail.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body += f"<p>{escaped}</p>"
    return Response(body + "</body></html>", status=status, content_type="text/html")
