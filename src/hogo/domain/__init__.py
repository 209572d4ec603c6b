"""The pure domain core: rules and models, no I/O. Nothing here imports storage or interfaces."""
