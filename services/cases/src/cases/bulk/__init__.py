"""Bulk loading: the importer (`python -m cases import`) and the synthetic data generator (`generate`)."""
