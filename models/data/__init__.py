"""The data contract: reading and validating production histories, guidance and period
totals (one problem line per bad cell), the period-totals logic, and the embedded dataset."""
