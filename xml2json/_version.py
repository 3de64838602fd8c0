"""The package version: a leaf module, imported by the package and by the registry."""

__version__ = "0.1.0"
