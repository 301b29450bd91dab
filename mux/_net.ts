// The parts of net that mux uses, through net's public surface.
export {
  EBADF,
  EINVAL,
  ENOENT,
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  FileExistsError,
  FileNotFoundError,
  lookup_fileno,
  OSError,
  type ReadinessSource,
  register_fileno,
  release_fileno,
} from "../net/mod.ts";
