"""`python -m dgsa.marts [--full]`: build what changed (or skip: nothing changed), judge and publish
the marts; --full (or DGSA_MARTS_FULL=1) recomputes every round (dgsa.marts.build)."""
from dgsa.marts.build import main

main()
