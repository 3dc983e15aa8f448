"""strength"""
