"""Assembles the API (`app`, for `uvicorn main:app --workers 4`) and the command line.

python main.py [serve] [--host H] [--port P]   start the API (the default command)
python main.py migrate                         apply database migrations (Alembic, to head)
python main.py seed-demo                       load or refresh the demo practice network
python main.py create-admin                    create the first admin account
"""

import logging
from pathlib import Path

import swagger_ui_bundle
import typer
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session

from accounts.router import admin_router as staff_admin_router
from accounts.router import auth_router
from booking.admin_router import router as booking_admin_router
from booking.router import router as booking_router
from booking.staff_router import router as booking_staff_router
from booking.triage.router import router as triage_router
from core.errors import install_error_handlers
from locations.admin_router import router as locations_admin_router
from locations.router import router as locations_router
from partners.middleware import BrowserPolicyMiddleware
from partners.router import router as partners_admin_router
from partners.webhooks import webhook_sender_lifespan
from web.router import STATIC_DIR as WEB_STATIC_DIR
from web.router import STATIC_URL as WEB_STATIC_URL
from web.router import router as web_router

SWAGGER_ASSETS = "/static/swagger-ui"


def create_app() -> FastAPI:
    app = FastAPI(
        title="Practice booking API",
        version="1.0.0",
        summary="Triage, nearest-site search and appointment booking for multi-site outpatient practices.",
        docs_url=None,  # served below from local assets, so it renders on networks without internet
        redoc_url=None,
        lifespan=webhook_sender_lifespan,  # one webhook sender thread per worker process
    )
    install_error_handlers(app)
    app.add_middleware(BrowserPolicyMiddleware)  # CORS for partner origins, framing, safe headers
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    # The pages' scripts, stylesheet and icons (web/static), served with the app: no CDN, no build.
    app.mount(WEB_STATIC_URL, StaticFiles(directory=WEB_STATIC_DIR), name="web-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_ASSETS}/favicon-32x32.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/healthz", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness probe; does no work (the benchmarks' baseline endpoint)."""
        return {"status": "ok"}

    for router in (
        auth_router,
        locations_router,
        triage_router,
        booking_router,
        booking_staff_router,
        locations_admin_router,
        booking_admin_router,
        staff_admin_router,
        partners_admin_router,
        web_router,
    ):
        app.include_router(router)
    return app


app = create_app()

cli = typer.Typer(help="Practice booking service.", add_completion=False, no_args_is_help=False)


HostOption = typer.Option(None, help="interface to listen on (default: HOST setting, 127.0.0.1)")
PortOption = typer.Option(None, help="port (default: PORT setting, 8000)")
WorkersOption = typer.Option(1, min=1, help="worker processes")


@cli.callback(invoke_without_command=True)
def _default(
    ctx: typer.Context, host: str = HostOption, port: int = PortOption, workers: int = WorkersOption
) -> None:
    _require_valid_settings()
    if ctx.invoked_subcommand is None:
        serve(host=host, port=port, workers=workers)


def _require_valid_settings() -> None:
    """A configuration mistake ends every command with what to fix, not with a traceback."""
    from pydantic import ValidationError

    from core.settings import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        for error in exc.errors():  # messages only: the input values may hold secrets
            setting = ".".join(str(part) for part in error["loc"]).upper()
            typer.echo(f"configuration error: {f'{setting}: ' if setting else ''}{error['msg']}", err=True)
        raise typer.Exit(code=2) from None


@cli.command()
def serve(host: str = HostOption, port: int = PortOption, workers: int = WorkersOption) -> None:
    """Start the API. An empty SQLite database is migrated and loaded with demo data first."""
    import uvicorn

    from core.settings import get_settings

    settings = get_settings()
    _prepare_database()
    uvicorn.run(
        "main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        app_dir=str(Path(__file__).resolve().parent),
    )


def _prepare_database() -> None:
    """SQLite: migrate (and on first start, seed). PostgreSQL: refuse to start behind head."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from core.database import alembic_config, get_engine, is_schema_empty, migrate_to_head
    from core.settings import get_settings

    engine = get_engine()
    if get_settings().is_sqlite:
        first_start = is_schema_empty(engine)
        migrate_to_head()
        if first_start:
            seed_demo()
        return
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        typer.echo(
            f"The database is at revision {current or 'none'}, the code needs {head}: "
            "run `python main.py migrate` once before starting the workers.",
            err=True,
        )
        raise typer.Exit(code=1)


@cli.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from core.database import migrate_to_head

    migrate_to_head()
    typer.echo("database is at the latest migration")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load or refresh the demo practice network (idempotent)."""
    from booking.demo import seed_demo_schedules
    from core.database import get_engine
    from locations.demo import seed_demo_data

    with Session(get_engine()) as session:
        seed_demo_data(session=session)
        seed_demo_schedules(session=session)
    typer.echo("demo data loaded")


@cli.command("triage-vignettes")
def triage_vignettes(lang: str = typer.Option("en", help="language of the reasons: en or es")) -> None:
    """Print each clinical vignette's triage outcome under the current rules, for clinical review."""
    from booking.triage.questionnaire import LANGUAGES
    from booking.triage.vignettes import review_vignettes

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"choose one of: {', '.join(LANGUAGES)}", param_hint="--lang")
    report, mismatches = review_vignettes(language=lang)
    typer.echo(report)
    if mismatches:
        raise typer.Exit(code=1)


@cli.command("create-admin")
def create_admin(
    email: str = typer.Option(..., prompt=True),
    full_name: str = typer.Option(..., "--name", prompt="Full name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an admin account (for the first login)."""
    from pydantic import ValidationError

    from accounts.models import StaffRole, StaffUserCreate
    from accounts.service import create_staff_user
    from core.database import get_engine
    from core.errors import AppError

    try:
        data = StaffUserCreate(email=email, full_name=full_name, role=StaffRole.admin, password=password)
        with Session(get_engine()) as session:
            user = create_staff_user(session=session, data=data)
    except ValidationError as exc:
        messages = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"not created: {messages}", err=True)
        raise typer.Exit(code=2) from None
    except AppError as exc:
        typer.echo(f"not created: {exc.detail}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"admin {user.email} created (id {user.id})")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    cli()
