"""The schema of every table of record, from the layer declarations: what a write may hold.

A layer's fields give its table's columns and types (number, date, enum with its keys, text)
and its ``id_field`` the key. The monthly ``progress`` history has no layer of its own: its
rows are keyed by project code and month, and its stage takes the projects' status values.
A month's site photos (``progress_photos``, ``geoapp.photos``) are keyed by project code, month
and digest. The column choices saved for sheet layouts (``import_mappings``), the areas drawn
on the map (``drawn_areas``), the landmarks distances are measured to (``landmarks``) and the
investors' enquiries (``leads``) and the photos and documents attached to a site
(``site_attachments``, ``geoapp.invest.attachments``) are records too.
"""

from __future__ import annotations

from geoapp.auth.users import TOKENS_TABLE, USERS_TABLE, tokens_schema, users_schema
from geoapp.drawn import DRAWN_TABLE, drawn_schema
from geoapp.imports.mapping import MAPPINGS_TABLE, mappings_schema
from geoapp.invest.attachments import ATTACHMENTS_TABLE, attachments_schema
from geoapp.invest.landmarks import LANDMARKS_TABLE, landmarks_schema
from geoapp.invest.leads import LEADS_TABLE, leads_schema
from geoapp.layers import LayerDef
from geoapp.photos import PHOTOS_TABLE, photos_schema
from geoapp.stores.changes import FieldSpec, TableSchema

PROGRESS_TABLE = "progress"
# County outlines with every vertex, for telling which county a point lies in (the boundaries
# layer draws simplified ones); optional: without them the drawn boundaries are used.
OUTLINES_TABLE = "outlines"


def outlines_schema() -> TableSchema:
    text = FieldSpec("text")
    fields = {"adcode": text, "name": text, "level": text, "parent_adcode": text}
    return TableSchema(OUTLINES_TABLE, ("adcode",), fields, "polygon")


def layer_schema(layer: LayerDef) -> TableSchema:
    fields = {
        name: FieldSpec(spec.type, frozenset(v.key for v in spec.values))
        for name, spec in layer.fields.items()
    }
    return TableSchema(layer.table, (layer.id_field,), fields, layer.geometry)


def progress_schema(projects: LayerDef) -> TableSchema:
    status = projects.fields.get("status")
    return TableSchema(
        PROGRESS_TABLE,
        ("project_id", "month"),
        {
            "project_id": FieldSpec("text"),
            "month": FieldSpec("date"),
            "completed": FieldSpec("number"),
            "status": FieldSpec("enum", frozenset(v.key for v in status.values))
            if status
            else FieldSpec("text"),
            "remarks": FieldSpec("text"),
        },
        "point",
    )


def record_schemas(layers: list[LayerDef]) -> dict[str, TableSchema]:
    """Every table a change set may write, by table name."""
    schemas = {layer.table: layer_schema(layer) for layer in layers}
    projects = next((layer for layer in layers if layer.table == "projects"), None)
    if projects is not None:
        schemas[PROGRESS_TABLE] = progress_schema(projects)
        schemas[PHOTOS_TABLE] = photos_schema()
        schemas[MAPPINGS_TABLE] = mappings_schema()
    schemas[OUTLINES_TABLE] = outlines_schema()
    schemas[DRAWN_TABLE] = drawn_schema()
    schemas[USERS_TABLE] = users_schema()
    schemas[TOKENS_TABLE] = tokens_schema()
    schemas[LANDMARKS_TABLE] = landmarks_schema()
    schemas[LEADS_TABLE] = leads_schema()
    schemas[ATTACHMENTS_TABLE] = attachments_schema()
    return schemas
