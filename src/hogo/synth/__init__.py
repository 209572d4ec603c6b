"""Seeded synthetic Japanese members, partner customers, purchases and consent histories."""
