"""The ransomware readiness report (Japanese first): HTML and PDF."""
