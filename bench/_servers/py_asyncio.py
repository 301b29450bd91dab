"""Anchor: a CPython asyncio echo server with streams (start_server,
reader.read / writer.write / drain), as the asyncio docs write it.
Prints the port, serves until stdin ends.
Run: python3 bench/_servers/py_asyncio.py
"""
import asyncio
import sys


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
