"""Domain types shared by every layer: unit codes, periods, units, results. Standard library only."""
