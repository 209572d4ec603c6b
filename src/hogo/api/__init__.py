"""The REST API (under /api/v1) and the application that also serves the console."""
