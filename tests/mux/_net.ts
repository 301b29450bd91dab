// What the mux tests use from net.
export * from "../../net/mod.ts";
