"""Profiles under a declared purpose: features of people's purchase histories, computed in the
data engine only for the persons the profiling purpose covers at run time (通則編 3-1-1).

Like `hogo.release`, this package is a data pipeline: it reads no store and records nothing;
`hogo.services.profiles` accepts a job, records it in the ledger and publishes its folder.
"""
