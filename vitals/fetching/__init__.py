"""Fetching a year of City Vitals figures from the agencies that publish them.

One module per agency (`acs`, `pep`, `laus`, `bea`), each with `fetch(year, metros)`
returning a `Batch`: figures in the shape of the import format (the United States' rows with
the code US, stored as national figures), the rows it could not give (named, with the
reason), the sources (and indicators) those figures need, and (PEP) the metros' new
populations as metros.csv rows. Nothing here
writes to the database: `manage.py fetch_vitals` writes the batches as import files and runs
the same validated import as `import_vitals`.
"""
