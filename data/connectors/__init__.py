"""Connectors: where costs and usage come from (billing exports, telemetry, the demo fleet)."""
