"""The pure core: the protocol as data and functions. No I/O, no Google or openpyxl imports."""
