"""`python -m dgsa.marts`: build, judge and publish the marts (dgsa.marts.build)."""
from dgsa.marts.build import main

main()
