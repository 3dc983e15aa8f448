"""formats/csv"""
