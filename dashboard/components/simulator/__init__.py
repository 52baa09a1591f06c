"""Simulator page sections: levers, charts, saved scenarios, the fleet view."""
