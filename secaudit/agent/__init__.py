"""The agentless audit: several hosts over SSH, N at a time (remote.py), and the hosts inventory (hosts.py)."""
