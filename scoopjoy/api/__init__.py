"""The seed's module paths (``/api/method/scoopjoy.api...``), kept as thin entry points."""
