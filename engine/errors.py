"""The engine's exceptions: one base class, one line each.

EngineError
├── InsufficientData
├── UnknownInstanceType
└── UnknownRegion
"""


class EngineError(Exception):
    """Base class of every error the engine raises."""


class InsufficientData(EngineError):
    """The usage window is too short or too sparse to decide."""


class UnknownInstanceType(EngineError):
    """An instance type is not in the pricing catalog."""


class UnknownRegion(EngineError):
    """A region has no prices in the pricing catalog."""
