"""Local engine: per-dossier flags, counts per unit and period, roll-up and scoring (docs/local-metrics.md)."""
