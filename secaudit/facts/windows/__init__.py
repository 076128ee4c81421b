"""Windows fact collectors: they read the probe catalogue's outputs (collect.ps1, or a recording) through the
transport's ProbeSource capability and fill the same tables as the Linux collectors. They never judge."""
