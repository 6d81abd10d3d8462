"""Run the retention job once: ``python -m hsb_sheets.jobs.retention`` (settings from HSB_SHEETS_CONFIG)."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run retention with the configured settings, holding the run lease."""
    cli(["run", "--job", "retention"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
