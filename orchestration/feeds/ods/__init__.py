"""NHS organisation reference data (ODS trusts, successors) and the ONS ICB names."""
