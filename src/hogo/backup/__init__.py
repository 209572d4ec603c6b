"""hogo's own backups: consistent snapshots of the store and ledger, kept as read-only generations.

The same advice hogo gives its users applies to itself: many generations, each written once and
never modified, hashes in a manifest, optional encryption, and a restore that is only accepted
once the ledger of the restored copy verifies.
"""
