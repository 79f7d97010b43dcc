"""Importing parcels and projects from survey coordinate files and GIS files."""
