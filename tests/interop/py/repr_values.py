# Prints Python's repr() of each value of a JSON list given in argv[1], one
# per line; JSON arrays become tuples, as Python's socket addresses are.
import json
import sys

for value in json.loads(sys.argv[1]):
    print(repr(tuple(value) if isinstance(value, list) else value))
