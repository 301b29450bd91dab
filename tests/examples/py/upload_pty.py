# Runs a command under a pseudo-terminal and copies what it writes (stdout
# and stderr, merged by the terminal) to our stdout: the tests use it to see
# the upload client draw its bar when it believes it is on a terminal.
#   python3 upload_pty.py COMMAND [ARGS...]
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the child closed the terminal
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
