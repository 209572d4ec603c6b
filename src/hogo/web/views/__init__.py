"""Console pages, one module per page; each renders a typed context dataclass."""
