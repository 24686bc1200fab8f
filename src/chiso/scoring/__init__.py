"""Scoring shared by the official and local layers: rules, unit scores, ranks, explanations, verification.

Pure functions over domain and methodology types: no I/O, no Ibis.
"""
