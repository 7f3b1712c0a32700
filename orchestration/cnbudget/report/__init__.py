"""The load report: one self-contained HTML file (`cnbudget report`).

contents.py holds what the report shows as data classes,
warehouse_data.py reads it from the warehouse (read-only),
page_crops.py draws the cells of a failed identity on an image of its PDF page,
charts.py draws the charts as inline SVG, build.py puts them in templates/report.html.j2,
commands.py holds the CLI commands report, sql and ui.
"""
