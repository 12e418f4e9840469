"""Workforce statistics (NHS England / NHS Digital): staff group and organisation, sickness absence."""
