"""OS-neutral judgement data and functions that both facts and checks (and the network scanner) read:
the risky-port policy (ports.py) and the root-equivalence of sudo rules (sudo.py). Imports only the
ground floor."""
