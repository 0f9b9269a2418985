"""Customers (population arrays and their dynamics), firms (Mesa agents) and strategies."""

from agents.population import AwarenessState, CustomerPopulation, PopulationParams, SegmentParams

__all__ = ["AwarenessState", "CustomerPopulation", "PopulationParams", "SegmentParams"]
