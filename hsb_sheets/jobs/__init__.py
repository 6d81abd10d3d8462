"""Thin entry points for cron and the scheduler: each runs one job through the command line."""
