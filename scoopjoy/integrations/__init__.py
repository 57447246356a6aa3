"""The seed's module paths (``/api/method/scoopjoy.integrations...``), kept as thin entry points."""
