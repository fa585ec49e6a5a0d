"""Patients, their allergies and conditions."""
