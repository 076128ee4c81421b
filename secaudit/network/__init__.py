"""Network discovery, port exposure and device inventory of a school LAN (`secaudit scan`).

Modules: targets (what may be scanned), arp (scapy sweep of an attached subnet), nmapscan
(python-nmap discovery and port scan), oui (MAC vendors), names (reverse DNS, NetBIOS),
known (the known-devices file), inventory (device rows, first/last seen), cli (`scan`).
scapy and nmap are imported only inside the functions that use them.
"""
