"""Pages of the three portals, one module per audience."""
