"""智能选址: the investors' siting search — a requirement form, a ranked shortlist with the
reasons for each place, on a map; and the same ranking as JSON.

A GET form, so the address is the shortlist: shared or opened again it gives the same ranking
(the same data and ``siting.toml``). Refused values are shown beside their fields with a 400 and
nothing ranked. Public layers and public fields only, like every investors' page.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.invest.mapdata import feature, map_json
from geoapp.invest.sites import PARCELS, kind_of, public_layer
from geoapp.invest.siting import Ranked, Ranking, rank_sites
from geoapp.invest.siting_candidates import candidates
from geoapp.invest.siting_need import Need, parse_need
from geoapp.services import services

bp = Blueprint("siting", __name__, url_prefix="/invest")


@bp.get("/siting")
def siting():
    """The form; with requirements in the URL, the ranked shortlist beside it."""
    need, errors, ranking, industries = _search()
    page = render_template(
        "invest_siting.html",
        need=need,
        errors=errors,
        ranking=ranking,
        industries=industries,
        kinds=_kinds(),
        settings=services().siting,
        map_data=_map_json(ranking),
        locale=str(get_locale()),
    )
    return page, 400 if errors else 200


@bp.get("/siting.json")
def siting_json():
    """The same ranking for programs: sites, scores and reasons; 400 with the refused fields."""
    need, errors, ranking, _industries = _search()
    if errors:
        return jsonify({"errors": errors}), 400
    results = ranking.results if ranking else []
    return jsonify(
        {
            "need": need.as_args(),
            "weights": services().siting.weights,
            "considered": ranking.considered if ranking else 0,
            "fully_met": ranking.fully_met if ranking else 0,
            "results": [_result_json(r) for r in results],
        }
    )


def _search() -> tuple[Need, dict[str, str], Ranking | None, tuple[str, ...]]:
    svc = services()
    cands = candidates(svc)
    need, errors = parse_need(request.args, cands.industries)
    ranking = None if errors or not need.asked() else rank_sites(cands, need, svc.siting)
    return need, errors, ranking, cands.industries


def _kinds() -> dict[str, tuple[str, str]]:
    """Each site kind's declared label and colour (the parcels layer's land states)."""
    parcels = public_layer(services().layers_for("public"), PARCELS)
    found = {}
    for kind in ("available", "standard_land", "factory"):
        value = kind_of(parcels, kind) if parcels else None
        found[kind] = (value.label(str(get_locale())), value.color) if value else (kind, "#555")
    return found


def _parcel_url(result: Ranked) -> str:
    return url_for("invest.parcel", layer_id=result.layer, parcel_id=result.key)


def _result_json(result: Ranked) -> dict:
    return {
        "rank": result.rank,
        "site": f"{result.layer}:{result.key}",
        "title": result.title,
        "kind": result.kind,
        "park": result.park_name,
        "area_mu": result.area_mu,
        "floor_m2": result.floor_m2,
        "score": result.score,
        "met": result.met,
        "asked": result.asked,
        "reasons": [r.__dict__ for r in result.reasons],
        "url": _parcel_url(result),
    }


def _map_json(ranking: Ranking | None) -> str:
    kinds = _kinds()
    sites = [
        feature(
            r.geometry,
            {
                "title": f"{r.rank}. {r.title}",
                "url": _parcel_url(r),
                "color": kinds.get(r.kind, (r.kind, "#555"))[1],
                "key": f"{r.layer}:{r.key}",
                "number": r.rank,
                "rows": [
                    [_("Kind"), kinds.get(r.kind, (r.kind,))[0]],
                    [_("Score"), "—" if r.score is None else f"{r.score:g}"],
                    [_("Requirements met"), f"{r.met}/{r.asked}"],
                ],
            },
        )
        for r in (ranking.results if ranking else [])
    ]
    return map_json({"sites": sites, "fit": "sites"})
