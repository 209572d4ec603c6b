"""Ransomware readiness: the inventory of devices and backups, end-of-life data, checks and a score.

The National Police Agency found that most ransomware in 2022 came in through VPN devices and
remote desktop, and that few victims could restore from backup. These modules turn that into
rules a small company can act on. Pure: no files, no database.
"""
