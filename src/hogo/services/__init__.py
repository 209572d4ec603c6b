"""Use cases. Each receives a Session, works in its transaction, and calls the pure domain."""
