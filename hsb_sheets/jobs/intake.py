"""Run the intake job once: ``python -m hsb_sheets.jobs.intake`` (settings from HSB_SHEETS_CONFIG)."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run intake with the configured settings."""
    cli(["run", "--job", "intake"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
