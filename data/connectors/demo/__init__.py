"""The demo connector: a deterministic fleet with usage and costs, written via the repositories."""

from data.connectors.demo.seed import SeedReport, seed_demo_fleet, seed_if_empty

__all__ = ["SeedReport", "seed_demo_fleet", "seed_if_empty"]
