"""What-if cases: a scenario's edits to the workbook's tables and configuration
(``edits``), and running many of them side by side (``sweep``).
"""
