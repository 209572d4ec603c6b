"""Who may do what: roles, permissions and the secrets that prove identity (no I/O here)."""
