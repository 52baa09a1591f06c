"""The data layer's exceptions: one base class; pages show them as warnings."""


class DataError(Exception):
    """Base class of every error the data layer raises."""


class NotFound(DataError):
    """A row the caller named does not exist."""


class CatalogError(DataError):
    """The pricing catalog files are missing or malformed."""


class SeedError(DataError):
    """The demo fleet could not be seeded."""


class Conflict(DataError):
    """Someone else changed the row since the caller read it: review again."""


class Forbidden(DataError):
    """The actor's role does not allow the action."""


class InvalidTransition(DataError):
    """The recommendation or change is not in a state the action may start from."""


class InvalidInput(DataError):
    """A decision's input is not acceptable (blank reason, postponement in the past)."""


class Drifted(DataError):
    """The live config no longer equals what the action expects to replace."""


class BlastRadiusExceeded(DataError):
    """A bulk action touches more than the configured caps allow; nothing was changed."""
