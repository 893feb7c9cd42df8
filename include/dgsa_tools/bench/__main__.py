"""`python -m dgsa_tools.bench [--sizes ...]` (make bench)."""
from dgsa_tools.bench.run import main

main()
