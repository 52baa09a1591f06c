"""The data layer's exceptions: one base class; pages show them as warnings."""


class DataError(Exception):
    """Base class of every error the data layer raises."""


class NotFound(DataError):
    """A row the caller named does not exist."""


class CatalogError(DataError):
    """The pricing catalog files are missing or malformed."""


class SeedError(DataError):
    """The demo fleet could not be seeded."""
