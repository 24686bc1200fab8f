"""Official layer: read the portal's published results (evaluation API JSON, list tables), store snapshots."""
