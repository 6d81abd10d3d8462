"""Run every job once, for cron or a scheduled container: ``python -m hsb_sheets.jobs.all``."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run intake, meetings, reminders and the digest once, holding the run lease."""
    cli(["run", "--once"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
