"""The workbook port: the register's tabs."""
