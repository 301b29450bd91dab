# Runs the socket module's conversion calls named in argv[1], a JSON list of
# [name, args...] (bytes as {"hex": ...}), and prints one JSON result per
# call: {"ok": value} (bytes as hex) or {"error": class name, "text": str}.
import json
import socket
import sys


def arg(value):
    if isinstance(value, dict):
        return bytes.fromhex(value["hex"])
    return value


for name, *args in json.loads(sys.argv[1]):
    try:
        result = getattr(socket, name)(*map(arg, args))
        if isinstance(result, bytes):
            result = result.hex()
        print(json.dumps({"ok": result}))
    except Exception as err:  # every failure is part of the comparison
        print(json.dumps({"error": type(err).__name__, "text": str(err)}))
