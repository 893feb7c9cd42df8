"""`python -m dgsa_tools.sample --out DIR --people N --seed S [--messy]`."""
from dgsa_tools.sample.generator import main

main()
