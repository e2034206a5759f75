"""One module per local server; each exports a `ServerDef` that `include/local/server_defs.py` registers."""

# The registry imports every server module at its end, and each server module needs `ServerDef` from the
# registry: loading the registry first makes `import include.local.servers.<name>` work on its own too.
import include.local.server_defs  # noqa: F401
