# The tutorials' "select on stdin" warm-up, in Python 3; the timeout (5 in the
# tutorial) may be given as argv[1]:
#   python3 select_stdin.py [5]
import select
import sys

timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 5
while True:
    readable, writeable, errable = select.select([sys.stdin, ], [], [], timeout)
    print(readable)
    print(type(readable))
    if sys.stdin in readable:
        line = sys.stdin.readline()
        if not line:  # not in the tutorial: end of input ends the loop
            break
        print("you input: ", line)
