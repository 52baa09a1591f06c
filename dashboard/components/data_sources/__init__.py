"""Data sources page sections: connectors, sidecar jobs, uploads and their reports."""
