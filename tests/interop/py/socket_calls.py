# Runs the socket module's calls named in argv[1], a JSON list of
# [name, args...] (bytes as {"hex": ...}, lists as tuples), and prints one
# JSON result per call: {"ok": value} (bytes as hex) or
# {"error": class name, "errno": errno or null, "text": str(error)}.
import json
import socket
import sys


def arg(value):
    if isinstance(value, dict):
        return bytes.fromhex(value["hex"])
    if isinstance(value, list):
        return tuple(arg(v) for v in value)
    return value


for name, *args in json.loads(sys.argv[1]):
    try:
        result = getattr(socket, name)(*map(arg, args))
        if isinstance(result, bytes):
            result = result.hex()
        print(json.dumps({"ok": result}, ensure_ascii=False))
    except Exception as err:  # every failure is part of the comparison
        errno = getattr(err, "errno", None)
        print(json.dumps({"error": type(err).__name__, "errno": errno, "text": str(err)}))
