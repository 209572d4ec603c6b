"""File formats hogo reads and writes: the policy YAML, spreadsheets' CSV, atomic outputs."""
