"""Scenario building: config layer, drivers, specs and the command line."""

__all__: list[str] = []
