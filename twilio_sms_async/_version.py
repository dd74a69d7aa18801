"""The package version, kept in one place so the build and ``__version__`` agree."""

__all__ = ["__version__"]

__version__ = "0.1.0.dev0"
