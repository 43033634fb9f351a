#!/bin/sh
# workerd as Miniflare starts it, with its standard output (the Workers' console.log lines) sent
# to /dev/null instead of up a pipe into the benchmark's own process: see runtimeLogs in
# bench/setup.ts. Standard error (the runtime's own errors) still goes to Miniflare.
exec "$TOLLGATE_BENCH_WORKERD" "$@" >/dev/null
