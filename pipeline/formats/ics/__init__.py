"""formats/ics"""
