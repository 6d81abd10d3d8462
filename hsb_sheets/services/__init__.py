"""Use cases: read through ports, decide in the core, write through ports, audit what was done."""
