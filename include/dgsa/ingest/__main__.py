"""`python -m dgsa.ingest --drive DIR`: scan, load, reconcile (dgsa.ingest.steps)."""
from dgsa.ingest.steps import main

main()
