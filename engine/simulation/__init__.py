"""The simulation engine: a what-if scenario replayed over the history, with Monte Carlo paths.

Start at replay.py (simulate) for one service and fleet.py (simulate_fleet) for a demand growth
over many. scenario.py says what a what-if is, window.py which hours are replayed, hourly.py
projects each hour, paths.py draws Monte Carlo paths, cost.py prices them, verdict.py applies the
SLA rules and result.py holds what comes back. This root re-exports the public names.
"""

from engine.simulation.fleet import FleetMember, FleetOutcome, FleetResult, simulate_fleet
from engine.simulation.paths import Band
from engine.simulation.replay import simulate
from engine.simulation.result import (
    CurrentDelta,
    HourlyOutlook,
    MonthlyCost,
    SimulationResult,
    SlaOutlook,
    Spread,
)
from engine.simulation.scenario import Scenario
from engine.simulation.window import recent

__all__ = [
    "Band",
    "CurrentDelta",
    "FleetMember",
    "FleetOutcome",
    "FleetResult",
    "HourlyOutlook",
    "MonthlyCost",
    "Scenario",
    "SimulationResult",
    "SlaOutlook",
    "Spread",
    "recent",
    "simulate",
    "simulate_fleet",
]
