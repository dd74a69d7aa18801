"""Guards the public API: what ``twilio_sms_async`` exports, and that it is all importable."""

from __future__ import annotations

import importlib
from pathlib import Path

import twilio_sms_async


def test_all_is_sorted_unique_and_importable() -> None:
    names = twilio_sms_async.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(twilio_sms_async, name), name


def test_private_modules_export_what_they_define() -> None:
    package = Path(twilio_sms_async.__file__).parent
    for path in sorted([*package.glob("_*.py"), *package.glob("*/_*.py")]):
        if path.name.startswith("__"):
            continue  # __init__ re-exports; __main__ runs the CLI
        dotted = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = importlib.import_module(dotted)
        for name in module.__all__:
            assert hasattr(module, name), f"{dotted}.{name}"


def test_py_typed_is_shipped() -> None:
    assert (Path(twilio_sms_async.__file__).parent / "py.typed").exists()


def test_version_matches_metadata() -> None:
    from importlib.metadata import version

    assert twilio_sms_async.__version__ == version("twilio-sms-async")
