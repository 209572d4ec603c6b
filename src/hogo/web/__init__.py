"""The Japanese web console: server-rendered pages over the same services as the CLI and API."""
