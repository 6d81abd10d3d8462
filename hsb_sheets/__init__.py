"""hsb-sheets: a Harmful Sexual Behaviour referral service on Google Sheets or a local workbook."""

__version__ = "0.1.0"
