"""The layers, fields and values the investors' pages rely on, named once.

Parcels carry a land state; standard land (标准地) is a layer of its own whose supply stage
says whether it can still be bought. A standard-land parcel ready to transfer is one whose
regional assessment is done (``assessed``) or that is listed for transfer (``listed``); later
stages are sold. The colours and labels of each kind come from the parcels layer's
``land_state`` declaration, so the investors' map and the officials' map agree.

Ready-built factory space (标准化厂房) is a parcel whose land state is ``factory``: it is on
offer to an investor (to rent or buy) like an available parcel, and only it carries a floor
area, a rent and a sale price. A park's utilities are fields of their own (power in kVA, water
in t/day, gas, steam), so they can be compared with what a plant needs.
"""

from __future__ import annotations

from geoapp.layers import EnumValue, LayerDef

BOUNDARIES = "boundaries"  # county outlines, drawn for orientation (there is no basemap)
PARKS = "parks"
PARCELS = "parcels"
STANDARD_LAND = "standard_land"
STATE_FIELD = "land_state"
STAGE_FIELD = "stage"
AREA_FIELD = "area_mu"
AVAILABLE = "available"
FACTORY = "factory"
ON_OFFER = (AVAILABLE, FACTORY)  # parcel land states an investor can have
FLOOR_FIELD = "floor_m2"
FACTORY_FIELDS = (FLOOR_FIELD, "rent_yuan_m2_month", "sale_yuan_m2")  # factory parcels only
UTILITY_FIELDS = ("power_kva", "water_t_day", "gas", "steam")  # a park's, shown on its card
INDUSTRIES = "industries"  # a park's leading industries, named on its map popup
READY_STAGES = ("assessed", "listed")
SITE_LAYERS = (PARCELS, STANDARD_LAND)  # what a parcel page may show


def public_layer(layers: list[LayerDef], layer_id: str) -> LayerDef | None:
    """The public layer of that id, or None (a county may not declare standard land)."""
    return next((lyr for lyr in layers if lyr.id == layer_id and lyr.audience == "public"), None)


def kind_of(parcels: LayerDef, kind: str) -> EnumValue | None:
    """A land kind (a ``land_state`` value) with its declared label and colour."""
    state = parcels.fields.get(STATE_FIELD)
    return state.value(kind) if state is not None else None
