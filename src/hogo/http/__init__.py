"""HTTP hardening around the application: request limits, early authentication, server settings.

This package sits above `api` and `web` (it knows both the bearer tokens of the one and the
session cookies of the other) and below the app assembly, which wires it with a few lines.
"""
