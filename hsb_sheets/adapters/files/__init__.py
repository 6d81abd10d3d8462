"""Files a person hands the command line (CSV exports), read without side effects."""
