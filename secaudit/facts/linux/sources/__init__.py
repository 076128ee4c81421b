"""One reader per source shared by several collectors (the dpkg database, systemd's enabled units, the
time zone, os-release): each parses its files once per collection, under one memo key, and returns what
could not be read so that each collector records it under its own unknown key."""
