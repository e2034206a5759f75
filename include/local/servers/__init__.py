"""The local servers, one module each; `SERVERS` is the registry `services.py` starts from."""

from include.local.server_defs import ServerDef
from include.local.servers.ferretdb import FERRETDB
from include.local.servers.kafka import KAFKA
from include.local.servers.moto import MOTO
from include.local.servers.opensearch import OPENSEARCH
from include.local.servers.postgres import POSTGRES

SERVERS: dict[str, ServerDef] = {server.name: server for server in (MOTO, KAFKA, FERRETDB, OPENSEARCH, POSTGRES)}
