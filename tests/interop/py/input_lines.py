# Reads lines with input() until EOFError and prints each as JSON, so a test
# can compare Python's input() with ours on the same bytes.
# Run: python3 input_lines.py [prompt]
import json
import sys

prompt = sys.argv[1] if len(sys.argv) > 1 else None
for _ in range(1000):
    try:
        line = input(prompt) if prompt is not None else input()
    except EOFError as err:
        print(f"EOFError: {err}")
        break
    print(json.dumps(line, ensure_ascii=False))
