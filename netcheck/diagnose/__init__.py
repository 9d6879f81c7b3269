"""`netcheck diagnose`: read what is installed on a worker host, then judge it with the probes."""
