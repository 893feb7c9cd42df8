"""Developer tools around the dgsa product (not imported by the DAGs or the pipeline)."""
