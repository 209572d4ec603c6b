"""Data releases: what leaves the organisation, in which form, with which protections."""
