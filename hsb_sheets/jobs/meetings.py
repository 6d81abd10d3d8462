"""Run the meetings job once: ``python -m hsb_sheets.jobs.meetings`` (settings from HSB_SHEETS_CONFIG)."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run meetings with the configured settings, holding the run lease."""
    cli(["run", "--job", "meetings"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
