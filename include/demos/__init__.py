"""One module per pipeline: put sample data in place, run the DAG locally, report what it did."""
