"""Run the digest job once: ``python -m hsb_sheets.jobs.digest`` (settings from HSB_SHEETS_CONFIG)."""

from hsb_sheets.cli import cli


def main() -> None:
    """Run digest with the configured settings, holding the run lease."""
    cli(["run", "--job", "digest"], prog_name="hsb-sheets")


if __name__ == "__main__":
    main()
