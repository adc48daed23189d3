"""The report stage: the report's tables (``tables``: one column declaration per sheet),
the Dashboard (``dashboard``), the HTML page (``html``), and comparing two reports
(``compare``), which reads a report workbook back into the same tables.
"""
