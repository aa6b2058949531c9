"""Safety protocols: the file the companion ships (``default.toml``, the defaults of
docs/clinical.md), reading files, and each clinic's stored versions as the services get them.

The protocol's rules and their parsing are the clinical core's (``companion.clinical.protocol``,
docs/protocol.md). An app or a scheduler process holds a :class:`ProtocolSource` and asks it for
the protocol of the clinic it is working for.
"""

from companion.protocols.files import DEFAULT_PROTOCOL_FILE, ProtocolFile, default_protocol, load_protocol
from companion.protocols.source import ProtocolSource, load_stored

__all__ = [
    "DEFAULT_PROTOCOL_FILE", "ProtocolFile", "ProtocolSource", "default_protocol", "load_protocol", "load_stored",
]
