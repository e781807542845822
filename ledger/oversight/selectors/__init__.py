"""Reads of the oversight room: assessment metrics, dashboard figures, reports, pace."""
