"""The lease port: one run of the jobs at a time."""
