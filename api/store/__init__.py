"""The storage layer: the only code (with api/db) that queries tables.

One module per aggregate; functions take and return plain typed values.
"""
