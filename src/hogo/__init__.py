"""hogo (保護): purposes, consent, provision and incidents under APPI, as code."""

__version__ = "0.1.0"
