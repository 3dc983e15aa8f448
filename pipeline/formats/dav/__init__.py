"""WebDAV, CardDAV and CalDAV bodies: multistatus parsing and request builders (pure)."""
