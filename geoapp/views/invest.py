"""招商地图: the investors' public pages — parks, vacancies, ready-built factory space, a site's
page and its PDF sheet, and the enquiry form (意向登记). No sign-in; public layers and public
fields only.

Every page reads through the store like the officials' pages (store → GeoDataFrame → layer →
page), via ``geoapp.invest``. An enquiry is checked beside its fields, rate-limited per
address, CSRF-protected (an anonymous visitor's token lives in the session) and kept as a
lead once; the answer is a redirect to the page with a confirmation (a reload sends nothing).
"""

from __future__ import annotations

import io

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from geoapp.auth.access import limiter
from geoapp.errors import NotFound
from geoapp.invest.attachments import Attachment
from geoapp.invest.attachments import stored as stored_attachments
from geoapp.invest.enquiry import EnquiryForm
from geoapp.invest.landmarks import distances_from, read_landmarks
from geoapp.invest.leads import Subject, save_lead
from geoapp.invest.mapdata import (
    area_text,
    floor_text,
    map_json,
    outline_features,
    park_features,
    site_features,
)
from geoapp.invest.parks import ParkView, park_views
from geoapp.invest.sites import BOUNDARIES, FACTORY, PARKS, public_layer
from geoapp.invest.vacancies import MAX_SITES, Site, factory_sites, find_site, vacant_sites
from geoapp.ogc_html import number
from geoapp.outputs.parcel_sheet import SheetContent, parcel_sheet
from geoapp.services import services
from geoapp.stores.base import Query

bp = Blueprint("invest", __name__, url_prefix="/invest")
bp.add_app_template_global(area_text, "area_text")
bp.add_app_template_global(floor_text, "floor_text")
bp.add_app_template_global(number, "number")
# One count for every enquiry form, per address (GEOAPP_ENQUIRY_LIMIT); GETs are not counted.
enquiry_limit = limiter.shared_limit(
    lambda: services().config.enquiry_limit, scope="enquiry", methods=["POST"]
)


MAX_FORM_BYTES = 32 * 1024  # the longest enquiry, URL-encoded, is about 12 KB


@bp.url_value_preprocessor
def _small_bodies(endpoint, values) -> None:
    """An enquiry is a few KB: a larger body is refused (413, ``too_large``) before anyone
    parses it — also the CSRF check, which runs before the view. URL preprocessors run first."""
    request.max_content_length = MAX_FORM_BYTES


def _locale() -> str:
    return str(get_locale())


@bp.get("")
def parks():
    """园区: every park with its figures, contact and distances, and a map of their outlines."""
    views = park_views(services(), _locale())
    data = {
        "parks": park_features(views, lambda pid: url_for(".park", park_id=pid)),
        "outlines": outline_features(_county_outlines(views)),
    }
    return render_template(
        "invest_parks.html", parks=views, map_data=map_json(data), locale=_locale()
    )


@bp.route("/parks/<park_id>", methods=["GET", "POST"])
@enquiry_limit
def park(park_id: str):
    """A park's vacancy map: its outline, available parcels and standard land, the enquiry."""
    return _park_page(park_id, EnquiryForm())


@bp.get("/vacancies")
def vacancies():
    """Every park's vacancies on one map (at most ``MAX_SITES``)."""
    views = park_views(services(), _locale())
    sites, total = vacant_sites(services(), _locale())
    return _vacancy_page(None, views, sites, total, None)


@bp.get("/factories")
def factories():
    """标准化厂房: the ready-built factory space of every park (or of ``?park=``), with floor
    area, rent and sale price, on a map."""
    views = park_views(services(), _locale())
    park_id = request.args.get("park") or None
    park = next((v for v in views if v.park_id == park_id), None)
    if park_id is not None and park is None:
        raise NotFound(_("Park “%(park)s” does not exist.", park=park_id), param="park")
    sites, total = factory_sites(services(), _locale(), park_id)
    shown = [park] if park else [v for v in views if v.park_id in {s.park_id for s in sites}]
    data = {
        "parks": park_features(shown, lambda pid: url_for(".park", park_id=pid)),
        "sites": site_features(sites, _site_url),
        "outlines": [] if park else outline_features(_county_outlines(views)),
    }
    counted = [f for v in ([park] if park else views) if (f := v.figure(FACTORY)) is not None]
    offering = [v for v in views if v is park or getattr(v.figure(FACTORY), "count", 0)]
    return render_template(
        "invest_factories.html",
        park=park,
        parks=offering,  # the parks to choose from: those with factory space
        sites=sites,
        total=total,
        floor=sum(f.floor_m2 or 0 for f in counted) if counted else None,
        park_names={v.park_id: v.name for v in views},
        map_data=map_json(data),
        locale=_locale(),
    )


@bp.route("/parcels/<layer_id>/<parcel_id>", methods=["GET", "POST"])
@enquiry_limit
def parcel(layer_id: str, parcel_id: str):
    """地块详情: a site's indicators, photos and documents, its park's utilities and contact,
    distances, the sheet."""
    return _parcel_page(layer_id, parcel_id, EnquiryForm())


@bp.get("/parcels/<layer_id>/<parcel_id>.pdf")
def parcel_pdf(layer_id: str, parcel_id: str):
    """The site's one-page A4 sheet (PDF, map included), drawn on the server, offline."""
    site, park = _site_and_park(layer_id, parcel_id)
    content = SheetContent(
        site=site,
        park=park,
        distances=_distances(site),
        link=url_for(".parcel", layer_id=layer_id, parcel_id=parcel_id, _external=True),
        documents=tuple(a for a in _attachments(site) if not a.is_photo),
    )
    pdf = parcel_sheet(content, _locale())
    name = _("Parcel %(id)s.pdf", id=site.key)
    return send_file(
        io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A form larger than any enquiry: refused beside the message, nothing kept."""
    form = EnquiryForm(formdata=None)
    form.message.errors = [_("This is far longer than an enquiry may be.")]
    args = request.view_args or {}
    if request.endpoint == "invest.park":
        return _park_page(args["park_id"], form, status=413)
    if request.endpoint == "invest.parcel":
        return _parcel_page(args["layer_id"], args["parcel_id"], form, status=413)
    raise error


def _park_page(park_id: str, form: EnquiryForm, status: int | None = None):
    views = park_views(services(), _locale(), park_id)
    if not views:
        raise NotFound(_("There is no park “%(id)s”.", id=park_id))
    park = views[0]
    subject = Subject(PARKS, park.park_id, park.name, park.park_id, park.county_code)
    if status is None and form.validate_on_submit():
        return _received(subject, form)
    sites, total = vacant_sites(services(), _locale(), park_id)
    return _vacancy_page(park, views, sites, total, form), status or _form_status(form)


def _vacancy_page(park: ParkView | None, views, sites: list[Site], total: int, form):
    shown = [park] if park else views
    data = {
        "parks": park_features(shown, lambda pid: url_for(".park", park_id=pid)),
        "sites": site_features(sites, _site_url),
        "outlines": [] if park else outline_features(_county_outlines(views)),
    }
    return render_template(
        "invest_vacancies.html",
        park=park,
        sites=sites,
        total=total,
        max_sites=MAX_SITES,
        park_names={v.park_id: v.name for v in views},
        legend=_legend(sites),
        form=form,
        map_data=map_json(data),
        locale=_locale(),
    )


def _parcel_page(layer_id: str, parcel_id: str, form: EnquiryForm, status: int | None = None):
    site, park = _site_and_park(layer_id, parcel_id)
    subject = Subject(site.layer.id, site.key, site.title, site.park_id, site.county_code)
    if status is None and form.validate_on_submit():
        return _received(subject, form)
    data = {
        "parks": park_features([park] if park else [], lambda pid: url_for(".park", park_id=pid)),
        "sites": site_features([site], _site_url),
        "fit": "sites",
    }
    page = render_template(
        "invest_parcel.html",
        site=site,
        park=park,
        distances=_distances(site),
        attachments=_attachments(site),
        form=form,
        map_data=map_json(data),
        locale=_locale(),
    )
    return page, status or _form_status(form)


def _site_and_park(layer_id: str, parcel_id: str) -> tuple[Site, ParkView | None]:
    site = find_site(services(), layer_id, parcel_id, _locale())
    if site is None:
        raise NotFound(_("There is no parcel “%(id)s”.", id=parcel_id))
    found = park_views(services(), _locale(), site.park_id) if site.park_id else []
    return site, (found[0] if found else None)


def _attachments(site: Site) -> list[Attachment]:
    return stored_attachments(services().store, (site.layer.id, site.key))


def _distances(site: Site):
    point = site.geometry.representative_point()
    return distances_from(point, site.county_code, read_landmarks(services().store))


def _received(subject: Subject, form: EnquiryForm):
    """Keep the enquiry (once), then show the page again with the confirmation."""
    save_lead(services().store, subject, form.sent())
    return redirect(request.path + "?sent=1#enquiry")


def _form_status(form: EnquiryForm | None) -> int:
    return 400 if form is not None and form.errors else 200


def _site_url(site: Site) -> str:
    return url_for(".parcel", layer_id=site.layer.id, parcel_id=site.key)


def _legend(sites: list[Site]) -> list[tuple[str, str, int]]:
    """(label, colour, count) of each kind on the map, in the order met."""
    kinds: dict[str, list] = {}
    for site in sites:
        kinds.setdefault(site.kind, [site.kind_label, site.color, 0])[2] += 1
    return [tuple(k) for k in kinds.values()]


def _county_outlines(views: list[ParkView]) -> list[tuple]:
    """(outline, name) of the counties that have parks, for orientation (no basemap)."""
    layer = public_layer(services().layers_for("public"), BOUNDARIES)
    codes = frozenset(v.county_code for v in views if v.county_code)
    if layer is None or not codes:
        return []
    name = layer.label_field or layer.id_field
    query = Query(any_of={layer.id_field: codes}, columns=tuple({layer.id_field, name}))
    frame = services().store.read(layer.table, query)
    return list(zip(frame.geometry, frame[name].astype(str), strict=True))
