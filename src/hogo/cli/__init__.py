"""The `hogo` command line: each module holds one command group and calls services."""
