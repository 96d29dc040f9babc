"""Interoperability: importers of real ITSM history and exporters for process mining."""
