"""Developer and CI tasks: ``python3 -m nox`` runs tests, lint and typecheck."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck"]


def _ensure_redis_server(session: nox.Session) -> None:
    """The scale-out tests start a real redis-server; install Debian's package when it is missing."""
    if shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server"):
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    if shutil.which(apt[0]) is None:
        session.error("redis-server is missing: install it (Debian: apt-get install redis-server)")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*apt, "update", "-qq", external=True, env=env)
    session.run(*apt, "install", "-y", "-qq", "--no-install-recommends", "redis-server", external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pytest-asyncio, respx, hypothesis; a real redis-server for scale-out)."""
    _ensure_redis_server(session)
    session.install("-e", ".[test,cli,redis]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package and the typing usage file."""
    session.install("-e", ".[test,cli,redis]", "mypy")
    session.run("mypy", "--strict")
