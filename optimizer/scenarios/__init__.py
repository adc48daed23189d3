"""What-if cases: a scenario's edits to the workbook's tables and configuration
(``edits``), which the pipeline applies; running many of them side by side is
``optimizer.sweep``, above the pipeline it runs.
"""
