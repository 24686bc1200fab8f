"""Local layer input: the one-stop system's dossiers, steps, procedures, units and petitions.

``ingest_file`` reads a file completely, stores the valid rows and reports every other row as rejected with
file, row, field, value and reason: rows read = rows stored + rows rejected.
"""
