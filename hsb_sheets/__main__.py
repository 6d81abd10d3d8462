"""Allows ``python -m hsb_sheets``."""

from hsb_sheets.cli import main

if __name__ == "__main__":
    main()
