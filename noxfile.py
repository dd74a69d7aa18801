"""Developer and CI tasks: ``python3 -m nox`` runs tests, lint and typecheck."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pytest-asyncio, respx, hypothesis)."""
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
