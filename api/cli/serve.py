"""`kith serve` (migrates first) and `kith migrate`."""

from __future__ import annotations

import argparse
import socket
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from api.cli.common import UserError, load_settings, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers
    from api.settings import Settings

# What each of several worker processes builds its app with (settings from the environment).
APP_FACTORY = "api.app:app_from_env"


def register(sub: Subparsers) -> None:
    srv = sub.add_parser("serve", help="migrate, then serve the app and the PWA")
    srv.add_argument("--host", default=None)
    srv.add_argument("--port", type=int, default=None)
    srv.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL)")
    srv.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated addresses of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (default: KITH_FORWARDED_ALLOW_IPS, 127.0.0.1,::1); "
        "'*' trusts every peer, only safe when nothing but the proxy can reach Kith",
    )
    srv.set_defaults(handler=cmd_serve)
    mig = sub.add_parser("migrate", help="bring the database schema up to date")
    mig.set_defaults(handler=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    from api import db

    settings = load_settings()
    ran = run_db(settings, db.migrate, migrate=False)
    print(f"migrated {settings.redacted_database_url()}: {len(ran)} applied, database is current")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings().with_secret()
    if args.forwarded_allow_ips is not None:
        settings = replace(settings, forwarded_allow_ips=args.forwarded_allow_ips)
    host = args.host or settings.host
    port = args.port or settings.port
    # Listen before anything else: a port in use is one clear line, and no app (with its
    # database threads) is started only to be torn down by uvicorn's exit.
    sock = listen(host, port)
    try:
        first_run = run_db(settings, lambda: _first_run_message(settings))
        url = f"http://{host}:{port}"
        print(
            f"Kith is serving on {url}  (database: {settings.redacted_database_url()})", flush=True
        )
        if first_run:
            print(first_run, flush=True)
        _serve(settings, sock, args.workers)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a person stops the server: a normal end
    finally:
        sock.close()
    return 0


async def _first_run_message(settings: Settings) -> str | None:
    """What `kith serve` prints while no account exists (DESIGN.md section 10), else None."""
    from api.services.setup import setup_link

    link = await setup_link(settings)
    if link is None:
        return None
    return (
        f"No account yet. Create the first one in the browser:  {link}\n"
        "(this one-time link also comes from `kith setup-link`; "
        "or run .venv/bin/kith user add you@example.com)"
    )


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound as uvicorn binds it (SO_REUSEADDR, IPv6 for a host with ':')."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP (asyncio.base_events._set_nodelay); without it Nagle's algorithm
    # holds the response's second segment until the client's delayed ACK, ~40 ms per request.
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        raise UserError(
            f"cannot listen on {host}:{port}: {why.lower()}; is another server running there? "
            "Choose another port with --port or KITH_PORT"
        ) from None
    sock.set_inheritable(True)  # worker processes serve the same socket
    return sock


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `kith serve` configures uvicorn. access_log=False: the feed token is in the URL path,
    so request lines are never logged. The client address (what the sign-in throttle counts) is
    the peer's, or the X-Forwarded-For of a peer listed in forwarded_allow_ips (a reverse proxy);
    any other peer's X-Forwarded-For is ignored."""
    return {
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def _serve(settings: Settings, sock: socket.socket, workers: int) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    options = uvicorn_options(settings)
    if workers > 1:
        config = uvicorn.Config(APP_FACTORY, factory=True, workers=workers, **options)
        Multiprocess(config, sockets=[sock]).run()
        return
    from api.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings, freeze_heap=True), **options))
    server.run(sockets=[sock])
    if not server.started:
        raise UserError("the server did not start (the reason is in the line above)")
