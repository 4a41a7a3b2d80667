"""Codebook export: REFI-QDA codebook (.qdc) and CSV, so codes travel to QDA tools.

The .qdc follows the REFI-QDA Codebook standard (namespace ``urn:QDA-XML:codebook:1.0``):
nested ``Code`` elements with a ``Description`` (the definition memo), and one ``Set`` per
descriptive theme listing its codes. GUIDs are derived from the project's code ids so a
re-export keeps them. Written with the standard library: no maintained REFI-QDA package.
"""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from ... import cells
from ...project import Project
from ...store import synthesis_queries as sq

NAMESPACE = "urn:QDA-XML:codebook:1.0"
_GUID_NS = uuid.UUID("7f3b0c52-2b1e-4c4e-9a55-5f2f3b8f6a10")


def guid(kind: str, ident: int) -> str:
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{ident}"))


def codebook_xml(
    codes: Sequence[Mapping[str, Any]],
    sets: Sequence[tuple[str, str, Sequence[int]]] = (),
) -> str:
    """Pure core: codes (id, name, memo, parent_id) and sets (name, description, code ids)."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}CodeBook", {"origin": "reviewflow"})
    holder = ET.SubElement(root, f"{{{NAMESPACE}}}Codes")
    ids = {c["id"] for c in codes}
    elements: dict[int, ET.Element] = {}

    def add(code: Mapping[str, Any], parent: ET.Element) -> None:
        el = ET.SubElement(
            parent,
            f"{{{NAMESPACE}}}Code",
            {"guid": guid("code", code["id"]), "name": code["name"], "isCodable": "true"},
        )
        if code.get("memo"):
            ET.SubElement(el, f"{{{NAMESPACE}}}Description").text = code["memo"]
        elements[code["id"]] = el
        for child in codes:
            if child.get("parent_id") == code["id"]:
                add(child, el)

    for code in codes:
        if code.get("parent_id") not in ids:
            add(code, holder)
    if sets:
        set_holder = ET.SubElement(root, f"{{{NAMESPACE}}}Sets")
        for number, (name, description, members) in enumerate(sets, start=1):
            el = ET.SubElement(
                set_holder, f"{{{NAMESPACE}}}Set", {"guid": guid("set", number), "name": name}
            )
            if description:
                ET.SubElement(el, f"{{{NAMESPACE}}}Description").text = description
            for code_id in members:
                if code_id in elements:
                    ET.SubElement(
                        el, f"{{{NAMESPACE}}}MemberCode", {"targetGUID": guid("code", code_id)}
                    )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def export_qdc(project: Project) -> str:
    """The project's active codes, with descriptive themes as sets."""
    with project.db.connect() as conn:
        codes = sq.list_codes(conn)
        themes = sq.list_themes(conn)
        links = sq.list_theme_codes(conn)
    sets = [
        (
            f"{t['label']} {t['name']}" if t["label"] else t["name"],
            t["description"],
            [c for th, c in links if th == t["id"]],
        )
        for t in themes
        if t["kind"] == "descriptive"
    ]
    return codebook_xml(codes, sets)


def export_csv(project: Project) -> str:
    """One row per active code: id, name, parent, memo, themes, segments, studies."""
    from .codes import list_codes

    bank = list_codes(project)
    with project.db.connect() as conn:
        themes = {t["id"]: t for t in sq.list_themes(conn)}
        links = sq.list_theme_codes(conn)
    names = {c["id"]: c["name"] for c in bank}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "name", "parent", "memo", "themes", "segments", "studies"])
    for code in bank:
        in_themes = [themes[t]["label"] or themes[t]["name"] for t, c in links if c == code["id"]]
        writer.writerow(
            cells.escape_row(
                [
                    code["id"],
                    code["name"],
                    names.get(code["parent_id"], ""),
                    code["memo"] or "",
                    "; ".join(in_themes),
                    code["segments"],
                    len(code["studies"]),
                ]
            )
        )
    return out.getvalue()
