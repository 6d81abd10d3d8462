"""Run the reminders job once: ``python -m hsb_sheets.jobs.reminders`` (settings from HSB_SHEETS_CONFIG)."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run reminders with the configured settings, holding the run lease."""
    cli(["run", "--job", "reminders"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
